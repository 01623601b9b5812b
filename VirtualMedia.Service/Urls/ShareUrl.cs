using System.Globalization;
using System.Text;
using VirtualMedia.Nbd;
using VirtualMedia.Service.Errors;

namespace VirtualMedia.Service.Urls;

/// <summary>An image on a network share: <c>smb://</c> or <c>nfs://</c>, parsed strictly so that nothing outside the share is reachable.</summary>
internal abstract record ShareUrl
{
    private protected ShareUrl(string scheme, string host, int? port, IReadOnlyList<string> segments)
    {
        Scheme = scheme;
        Host = host;
        Port = port;
        Segments = segments;
        Display = BuildDisplay(scheme, host, port, segments);
    }

    /// <summary>Lower-case scheme: <c>smb</c> or <c>nfs</c>.</summary>
    public string Scheme { get; }

    /// <summary>Host name or IP address, IPv6 without brackets.</summary>
    public string Host { get; }

    /// <summary>The port given in the URL, or null for the protocol's default.</summary>
    public int? Port { get; }

    /// <summary>The decoded path segments after the host.</summary>
    public IReadOnlyList<string> Segments { get; }

    /// <summary>The canonical URL, safe to log and to show (it never carries credentials).</summary>
    public string Display { get; }

    /// <summary>Path of the image relative to the mounted directory, '/'-separated.</summary>
    public abstract string PathInMount { get; }

    /// <summary>Kernel file system type tried first (<c>cifs</c>, <c>nfs</c>).</summary>
    public abstract string FileSystemType { get; }

    /// <summary>Host as it appears in a mount source: IPv6 addresses in brackets where the syntax needs them.</summary>
    private protected string HostForSource => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host;

    /// <summary>Parses an <c>smb://</c> or <c>nfs://</c> URL; throws <see cref="MediaException"/> (EINVAL) when it is malformed.</summary>
    public static ShareUrl Parse(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        var scheme = schemeEnd > 0 ? url[..schemeEnd].ToLowerInvariant() : string.Empty;

        // cifs:// is an old spelling of smb:// that the service's URL check also accepts.
        scheme = scheme == "cifs" ? "smb" : scheme;
        if (scheme is not ("smb" or "nfs"))
        {
            throw Invalid("the URL does not start with smb:// or nfs://");
        }

        var rest = url[(schemeEnd + 3)..];
        if (rest.AsSpan().IndexOfAny('?', '#') >= 0)
        {
            throw Invalid($"a {scheme}:// URL cannot have a query or fragment");
        }

        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var authority = slash < 0 ? rest : rest[..slash];
        var path = slash < 0 ? string.Empty : rest[(slash + 1)..];
        if (authority.Contains('@', StringComparison.Ordinal))
        {
            throw Invalid($"a {scheme}:// URL must not carry credentials; give the user name and password separately");
        }

        var (host, port) = ParseAuthority(scheme, authority);
        var segments = ParsePath(scheme, path);
        return scheme == "smb" ? new SmbUrl(host, port, segments) : new NfsUrl(host, port, segments);
    }

    /// <summary>A malformed-URL error; never includes the URL text, which may be anything.</summary>
    private protected static MediaException Invalid(string why) => new(Errno.EINVAL, "malformed image URL: " + why);

    private static (string Host, int? Port) ParseAuthority(string scheme, string authority)
    {
        string host;
        string? portText = null;
        if (authority.StartsWith('['))
        {
            var close = authority.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw Invalid("unterminated IPv6 address");
            }

            host = authority[1..close];
            var after = authority[(close + 1)..];
            if (after.Length > 0)
            {
                portText = after.StartsWith(':') ? after[1..] : throw Invalid("unexpected text after the IPv6 address");
            }

            if (Uri.CheckHostName(host) != UriHostNameType.IPv6)
            {
                throw Invalid("the address in brackets is not IPv6");
            }
        }
        else
        {
            var colon = authority.LastIndexOf(':');
            host = colon < 0 ? authority : authority[..colon];
            portText = colon < 0 ? null : authority[(colon + 1)..];
            if (Uri.CheckHostName(host) is not (UriHostNameType.Dns or UriHostNameType.IPv4))
            {
                throw Invalid($"'{scheme}://' must be followed by a host name or address");
            }
        }

        int? port = null;
        if (portText is not null)
        {
            if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value is < 1 or > 65535)
            {
                throw Invalid("the port is not a number from 1 to 65535");
            }

            port = value;
        }

        return (host, port);
    }

    private static List<string> ParsePath(string scheme, string path)
    {
        var segments = new List<string>();
        foreach (var raw in path.Length == 0 ? [] : path.Split('/'))
        {
            if (!IsWellFormedEscaping(raw))
            {
                throw Invalid("bad percent-encoding in the path");
            }

            var segment = Uri.UnescapeDataString(raw);

            if (segment.Length == 0 || segment is "." or "..")
            {
                throw Invalid("the path has an empty, '.' or '..' component");
            }

            if (segment.Any(c => c is '/' or '\\' || char.IsControl(c)))
            {
                throw Invalid("a path component contains a slash, backslash or control character");
            }

            segments.Add(segment);
        }

        if (segments.Count == 0 || (segments.Count == 1 && scheme == "smb"))
        {
            throw Invalid(scheme == "smb"
                ? "an smb:// URL needs a share and the path of the image in it: smb://host/share/image.iso"
                : "an nfs:// URL needs the path of the image: nfs://host/export/image.iso");
        }

        return segments;
    }

    private static bool IsWellFormedEscaping(string raw)
    {
        for (var i = raw.IndexOf('%', StringComparison.Ordinal); i >= 0; i = raw.IndexOf('%', i + 1))
        {
            if (i + 2 >= raw.Length || !char.IsAsciiHexDigit(raw[i + 1]) || !char.IsAsciiHexDigit(raw[i + 2]))
            {
                return false;
            }
        }

        return true;
    }

    private static string BuildDisplay(string scheme, string host, int? port, IReadOnlyList<string> segments)
    {
        var text = new StringBuilder(scheme).Append("://");
        text.Append(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host);
        if (port is not null)
        {
            text.Append(':').Append(port.Value.ToString(CultureInfo.InvariantCulture));
        }

        foreach (var segment in segments)
        {
            text.Append('/').Append(Uri.EscapeDataString(segment));
        }

        return text.ToString();
    }
}
