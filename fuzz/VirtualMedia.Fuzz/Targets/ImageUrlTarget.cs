using System.Text;
using VirtualMedia.Fuzz.Harness;
using VirtualMedia.Nbd;
using VirtualMedia.Service.Errors;
using VirtualMedia.Service.Urls;

namespace VirtualMedia.Fuzz.Targets;

/// <summary>A Mount's image URL: <see cref="ImageUrl"/>, then <see cref="ShareUrl"/> for shares, and the redaction every
/// log line and error message applies to a URL.</summary>
/// <remarks>
/// A refused URL is a <see cref="MediaException"/>. Redaction takes anything and never throws; what it returns has
/// no user info, no query but the marker, and never the password the input carried.
/// </remarks>
public sealed class ImageUrlTarget : IFuzzTarget
{
    public string Name => "image-url";

    public Task RunAsync(ReadOnlyMemory<byte> input)
    {
        var text = Encoding.UTF8.GetString(input.Span);
        CheckRedacted(text, UrlRedaction.Redact);
        if (Uri.TryCreate(UrlRedaction.Redact(text), UriKind.Absolute, out var again) && again.UserInfo.Length > 0)
        {
            throw new FuzzFindingException("the redacted URL still has user info");
        }

        CheckRedacted(text, Logged);
        if (Logged(text) is null && ImageUrl.Parse(text) is { Scheme: ImageScheme.Smb or ImageScheme.Nfs } url)
        {
            try
            {
                _ = url.Share.Display;
            }
            catch (MediaException e) when (e.Errno == Errno.EINVAL)
            {
                // A share URL ImageUrl accepts and ShareUrl refuses: Mount answers EINVAL all the same.
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>What Mount logs or answers for <paramref name="text"/>: the URL for logs, or the refusal's message.</summary>
    private static string? Logged(string text)
    {
        try
        {
            _ = ImageUrl.Parse(text).ForLog;
            return null;
        }
        catch (MediaException e) when (e.Errno == Errno.EINVAL)
        {
            return e.Message;
        }
    }

    /// <summary>Throws when what <paramref name="show"/> makes of <paramref name="text"/> carries the password of its user info.</summary>
    private static void CheckRedacted(string text, Func<string, string?> show)
    {
        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri))
        {
            return;
        }

        var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
        var password = colon < 0 ? string.Empty : uri.UserInfo[(colon + 1)..];
        // Only a password spelled once (not also in the host or path), and only if it shows because of the URL: the
        // same URL with another password must not show it too (it would be a word of the sentence: "nfs://" holds "fs:").
        if (password.Length < 3 || Occurrences(text, password) != 1 || show(text) is not { } shown
            || !shown.Contains(password, StringComparison.Ordinal)
            || (show(text.Replace(password, new string('Z', password.Length), StringComparison.Ordinal)) ?? string.Empty).Contains(password, StringComparison.Ordinal))
        {
            return;
        }

        throw new FuzzFindingException("a credential shows in what is logged");
    }

    private static int Occurrences(string text, string part)
    {
        var count = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + 1, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
