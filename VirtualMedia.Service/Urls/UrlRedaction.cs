
namespace VirtualMedia.Service.Urls;

/// <summary>Makes image URLs safe to log and to show in errors: no user info, no query (signed URLs carry tokens).</summary>
internal static class UrlRedaction
{
    /// <summary>Returns <paramref name="url"/> without credentials; unparsable input is not echoed back.</summary>
    public static string Redact(string? url) => ImageUrl.TryParseAbsolute(url, out var uri) ? Redact(uri) : Unparsable(url);

    /// <summary>What stands for <paramref name="url"/> when it is not a URL: the text itself may hold anything, a password included.</summary>
    public static string Unparsable(string? url) => string.IsNullOrWhiteSpace(url) ? "<empty URL>" : "<malformed URL>";

    /// <summary>Returns <paramref name="uri"/> without user info and with any query replaced by a marker.</summary>
    public static string Redact(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        // Taken from the parsed URI rather than rebuilt (UriBuilder): rebuilding throws for some URIs that Uri itself
        // accepted, such as nfs:////x(a/b.iso, and redaction runs on error paths that must not fail themselves.
        var text = uri.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);
        return uri.Query.Length > 1 ? text + "?<redacted>" : text;
    }
}
