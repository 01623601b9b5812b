using VirtualMedia.DBus;
using VirtualMedia.Service.ImageSources;

namespace VirtualMedia.Service.Activation;

/// <summary>The kinds of image location a legacy Mount may name.</summary>
public enum ImageScheme
{
    /// <summary><c>https://</c>.</summary>
    Https,

    /// <summary><c>http://</c>, only when the configuration allows it.</summary>
    Http,

    /// <summary><c>file://</c> inside the image directory.</summary>
    File,

    /// <summary><c>smb://</c> (a Windows share).</summary>
    Smb,

    /// <summary><c>nfs://</c>.</summary>
    Nfs,
}

/// <summary>
/// A legacy Mount's image URL, checked: absolute, of a known scheme, with a host (or a path for
/// <c>file://</c>), and without credentials — those travel in the secret pipe, never in a URL that is published.
/// </summary>
public sealed class ImageUrl
{
    private ImageUrl(Uri uri, ImageScheme scheme)
    {
        Uri = uri;
        Scheme = scheme;
    }

    /// <summary>The parsed URL.</summary>
    public Uri Uri { get; }

    /// <summary>Its scheme.</summary>
    public ImageScheme Scheme { get; }

    /// <summary>The URL as published in the <c>ImageURL</c> property.</summary>
    public string Published => Uri.OriginalString;

    /// <summary>The URL for logs and messages: no query (it may hold a signature or token).</summary>
    public string ForLog => UrlRedaction.Redact(Uri);

    /// <summary>Checks <paramref name="text"/>; a malformed URL or unknown scheme is EINVAL.</summary>
    /// <remarks>Whether a known scheme is enabled is decided later, by the image opener.</remarks>
    public static ImageUrl Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new DBusErrnoException(Errno.EINVAL, "the image URL is empty");
        }

        // On Unix, Uri takes "/path" for file:///path: a URL must name its scheme.
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || text.Any(char.IsControl)
            || !text.StartsWith(uri.Scheme + ":", StringComparison.OrdinalIgnoreCase))
        {
            throw new DBusErrnoException(Errno.EINVAL, "the image URL is not a valid absolute URL");
        }

        var scheme = uri.Scheme switch
        {
            "https" => ImageScheme.Https,
            "http" => ImageScheme.Http,
            "file" => ImageScheme.File,
            "smb" or "cifs" => ImageScheme.Smb,
            "nfs" => ImageScheme.Nfs,
            _ => throw new DBusErrnoException(
                Errno.EINVAL, $"unknown URL scheme \"{uri.Scheme}\": use https://, smb://, nfs:// or file://"),
        };

        if (uri.UserInfo.Length > 0)
        {
            throw new DBusErrnoException(
                Errno.EINVAL, $"{UrlRedaction.Redact(uri)}: credentials may not be part of the URL; pass them as the Mount secret");
        }

        if (scheme != ImageScheme.File && uri.Host.Length == 0)
        {
            throw new DBusErrnoException(Errno.EINVAL, $"{UrlRedaction.Redact(uri)}: the URL names no server");
        }

        if (uri.AbsolutePath is "" or "/")
        {
            throw new DBusErrnoException(Errno.EINVAL, $"{UrlRedaction.Redact(uri)}: the URL names no image file");
        }

        return new ImageUrl(uri, scheme);
    }
}
