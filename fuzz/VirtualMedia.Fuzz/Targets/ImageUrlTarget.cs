using System.Text;
using VirtualMedia.DBus;
using VirtualMedia.Fuzz.Harness;
using VirtualMedia.Service.Activation;
using VirtualMedia.Service.ImageSources;
using VirtualMedia.Service.Shares;

namespace VirtualMedia.Fuzz.Targets;

/// <summary>A Mount's image URL: <see cref="ImageUrl"/>, then <see cref="ShareUrl"/> for shares, and the redaction every
/// log line and error message applies to a URL.</summary>
/// <remarks>
/// A refused URL is a <see cref="DBusErrnoException"/>. Redaction takes anything and never throws; what it returns has
/// no user info, no query but the marker, and never the password the input carried.
/// </remarks>
public sealed class ImageUrlTarget : IFuzzTarget
{
    public string Name => "image-url";

    public Task RunAsync(ReadOnlyMemory<byte> input)
    {
        var text = Encoding.UTF8.GetString(input.Span);
        CheckRedaction(text);
        try
        {
            var url = ImageUrl.Parse(text);
            CheckRedacted(text, url.ForLog);
            if (url.Scheme is ImageScheme.Smb or ImageScheme.Nfs)
            {
                _ = ShareUrl.Parse(text).Display;
            }
        }
        catch (DBusErrnoException e) when (e.Errno == Errno.EINVAL)
        {
            // Refused with a clear error, which itself goes to the log: it must not carry the password either.
            CheckRedacted(text, e.Message);
        }

        return Task.CompletedTask;
    }

    private static void CheckRedaction(string text)
    {
        var redacted = UrlRedaction.Redact(text);
        CheckRedacted(text, redacted);
        if (Uri.TryCreate(redacted, UriKind.Absolute, out var again) && again.UserInfo.Length > 0)
        {
            throw new FuzzFindingException("the redacted URL still has user info");
        }
    }

    /// <summary>Throws when <paramref name="shown"/> carries the password of <paramref name="text"/>'s user info.</summary>
    private static void CheckRedacted(string text, string shown)
    {
        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri))
        {
            return;
        }

        var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return;
        }

        // A password also spelled elsewhere in the URL (host, path) may rightly show there, and one that is a plain word
        // may be a word of the error's sentence ("the Mount secret"): only unique ones with a non-letter are checked.
        var password = uri.UserInfo[(colon + 1)..];
        if (password.Length >= 3 && password.Any(c => !char.IsAsciiLetter(c) && c != ' ') && Occurrences(text, password) == 1
            && shown.Contains(password, StringComparison.Ordinal))
        {
            throw new FuzzFindingException("a credential shows in what is logged");
        }
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
