using System.Globalization;
using System.Net.Http.Headers;

namespace VirtualMedia.Service.ImageSources.Http;

/// <summary>Response headers read as the text the server sent, without the typed parsing that allocates a parsed
/// value and its bookkeeping per header per response (a random reader makes a GET per read).</summary>
internal static class RawHeaders
{
    private const string BytesUnit = "bytes ";

    /// <summary>The header's only value as sent, or null when it is missing or repeated.</summary>
    public static string? Single(HttpHeaders headers, string name) =>
        headers.NonValidated.TryGetValues(name, out var values) && values.Count == 1 ? values.ToString() : null;

    /// <summary>Parses the common form of a Content-Range, "bytes first-last/complete"; false for anything else
    /// (another unit, "*", spaces), which the typed parser is left to judge.</summary>
    public static bool TryParseContentRange(string? text, out long first, out long last, out long complete)
    {
        (first, last, complete) = (0, 0, 0);
        if (text is null || !text.StartsWith(BytesUnit, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = text.AsSpan(BytesUnit.Length);
        var dash = rest.IndexOf('-');
        var slash = rest.IndexOf('/');
        return dash > 0 && slash > dash
            && long.TryParse(rest[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out first)
            && long.TryParse(rest[(dash + 1)..slash], NumberStyles.None, CultureInfo.InvariantCulture, out last)
            && long.TryParse(rest[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out complete);
    }
}
