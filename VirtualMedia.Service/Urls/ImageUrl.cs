using System.Diagnostics.CodeAnalysis;
using VirtualMedia.Nbd;
using VirtualMedia.Service.Errors;

namespace VirtualMedia.Service.Urls;

/// <summary>
/// A legacy Mount's image URL, checked: absolute, of a known scheme, with a host (or a path for
/// <c>file://</c>), and without credentials — those travel in the secret pipe, never in a URL that is published.
/// </summary>
/// <remarks>
/// The text is parsed here once; the image source factory and the share step take the parsed form, so the URL that
/// is checked, logged and opened is the same one.
/// </remarks>
internal sealed class ImageUrl
{
    private readonly ShareUrl? _share;
    private readonly MediaException? _shareRefusal;

    private ImageUrl(string text, Uri uri, ImageScheme scheme, ShareUrl? share = null, MediaException? shareRefusal = null)
    {
        Published = text;
        Uri = uri;
        Scheme = scheme;
        _share = share;
        _shareRefusal = shareRefusal;
    }

    /// <summary>The parsed URL (of the text without surrounding white space).</summary>
    public Uri Uri { get; }

    /// <summary>Its scheme.</summary>
    public ImageScheme Scheme { get; }

    /// <summary>The URL as published in the <c>ImageURL</c> property: the text as given.</summary>
    public string Published { get; }

    /// <summary>The URL for logs and messages: no query (it may hold a signature or token).</summary>
    public string ForLog => UrlRedaction.Redact(Uri);

    /// <summary>An <c>smb://</c> or <c>nfs://</c> URL as the share step mounts it, parsed strictly from the text as given.</summary>
    /// <exception cref="MediaException">EINVAL: <see cref="ShareUrl"/> refuses the text. It is refused only when
    /// the share step asks, so that the Mount's earlier checks (a busy slot, say) still answer first.</exception>
    /// <exception cref="InvalidOperationException">The URL is not a share's.</exception>
    public ShareUrl Share => _share
        ?? (_shareRefusal is { } refusal
            ? throw new MediaException(refusal.Errno, refusal.Message)
            : throw new InvalidOperationException($"{ForLog} is not a share URL"));

    /// <summary>Checks <paramref name="text"/>; a malformed URL or unknown scheme is EINVAL.</summary>
    /// <remarks>Whether a known scheme is enabled is decided later, by the image opener.</remarks>
    public static ImageUrl Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new MediaException(Errno.EINVAL, "the image URL is empty");
        }

        // On Unix, Uri takes "/path" for file:///path: a URL must name its scheme.
        if (!TryParseAbsolute(text, out var uri) || text.Any(char.IsControl)
            || !text.StartsWith(uri.Scheme + ":", StringComparison.OrdinalIgnoreCase))
        {
            throw new MediaException(Errno.EINVAL, "the image URL is not a valid absolute URL");
        }

        var scheme = Known(uri.Scheme) ?? throw new MediaException(
            Errno.EINVAL, $"unknown URL scheme \"{uri.Scheme}\": use https://, smb://, nfs:// or file://");

        if (uri.UserInfo.Length > 0)
        {
            throw new MediaException(
                Errno.EINVAL, $"{UrlRedaction.Redact(uri)}: credentials may not be part of the URL; pass them as the Mount secret");
        }

        if (scheme != ImageScheme.File && uri.Host.Length == 0)
        {
            throw new MediaException(Errno.EINVAL, $"{UrlRedaction.Redact(uri)}: the URL names no server");
        }

        if (uri.AbsolutePath is "" or "/")
        {
            throw new MediaException(Errno.EINVAL, $"{UrlRedaction.Redact(uri)}: the URL names no image file");
        }

        if (scheme is not (ImageScheme.Smb or ImageScheme.Nfs))
        {
            return new ImageUrl(text, uri, scheme);
        }

        try
        {
            return new ImageUrl(text, uri, scheme, ShareUrl.Parse(text));
        }
        catch (MediaException e) when (e.Errno == Errno.EINVAL)
        {
            return new ImageUrl(text, uri, scheme, shareRefusal: e);
        }
    }

    /// <summary>Checks <paramref name="text"/> as <c>serve</c> takes it: any well-formed absolute URL of a known
    /// scheme, credentials included (the command line has no secret pipe). What the image source factory cannot
    /// open, it refuses itself (<see cref="NotSupportedHere"/>).</summary>
    /// <exception cref="VirtualMedia.Nbd.ImageSourceException">EINVAL for a malformed URL, ENOTSUP for an unknown scheme.</exception>
    public static ImageUrl FromCommandLine(string text)
    {
        if (!TryParseAbsolute(text, out var uri))
        {
            throw NotAUrl(text);
        }

        return new ImageUrl(text, uri, Known(uri.Scheme) ?? throw NotSupportedHere(uri));
    }

    /// <summary>The refusal of text that is not a URL (only <c>serve</c>'s command line can give one).</summary>
    internal static ImageSourceException NotAUrl(string? text) =>
        new(Errno.EINVAL, $"{UrlRedaction.Unparsable(text)}: not a valid image URL");

    /// <summary>The refusal of a scheme the image source factory does not open: shares go through the share step, and
    /// <c>serve</c> has none.</summary>
    internal static ImageSourceException NotSupportedHere(Uri uri) =>
        new(Errno.ENOTSUP, $"{UrlRedaction.Redact(uri)}: the {uri.Scheme}:// scheme is not supported here");

    /// <summary>Parses <paramref name="text"/>, trimmed, as an absolute URL; false for anything else, including a
    /// bare path, which Uri on Unix would take for a <c>file://</c> URL.</summary>
    /// <remarks>Also what <see cref="UrlRedaction.Redact(string?)"/> parses, so that redaction and the checks agree.</remarks>
    internal static bool TryParseAbsolute(string? text, [NotNullWhen(true)] out Uri? uri)
    {
        uri = null;
        return !string.IsNullOrWhiteSpace(text) && Uri.TryCreate(text.Trim(), UriKind.Absolute, out uri)
            && !(uri.IsFile && !text.StartsWith("file:", StringComparison.OrdinalIgnoreCase));
    }

    private static ImageScheme? Known(string scheme) => scheme switch
    {
        "https" => ImageScheme.Https,
        "http" => ImageScheme.Http,
        "file" => ImageScheme.File,
        "smb" or "cifs" => ImageScheme.Smb,
        "nfs" => ImageScheme.Nfs,
        _ => null,
    };
}
