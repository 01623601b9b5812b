using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using VirtualMedia.Nbd;
using VirtualMedia.Service.Urls;

namespace VirtualMedia.Service.ImageSources.Http;

/// <summary>Ranged GETs of one image URL, each pinned to what the first probe saw: If-Range with its strong ETag (else its
/// Last-Modified), and the answer checked against its size and validator, so a changed image fails instead of mixing bytes.</summary>
internal sealed class HttpRangeClient : IDisposable
{
    /// <summary>Bytes received per system call at most (one buffer per pooled connection).</summary>
    private const int ReceiveBufferSize = 64 * 1024;

    /// <summary>The handler called directly: HttpClient's timeout and cancel-all plumbing cost a linked token source and
    /// more per GET, and its timeout is off anyway (the fetcher times each attempt).</summary>
    private readonly HttpMessageInvoker _client;
    private readonly Uri _uri;
    private readonly AuthenticationHeaderValue? _authorization;
    private readonly Version _version;
    private EntityTagHeaderValue? _etag;
    private DateTimeOffset? _lastModified;

    // The probe's validators as text: sent as If-Range and compared with each answer's before any parsing.
    private string? _etagText;
    private string? _lastModifiedText;
    private string? _ifRange;

    private HttpRangeClient(HttpMessageInvoker client, Uri uri, AuthenticationHeaderValue? authorization, bool http2, string redactedUrl)
    {
        _client = client;
        _uri = uri;
        _authorization = authorization;
        _version = http2 ? HttpVersion.Version20 : HttpVersion.Version11;
        RedactedUrl = redactedUrl;
    }

    /// <summary>The URL without credentials, for messages.</summary>
    public string RedactedUrl { get; }

    /// <summary>Image size from the probe.</summary>
    public long Size { get; private set; }

    /// <summary>HTTP version the probe actually used.</summary>
    public Version NegotiatedVersion { get; private set; } = HttpVersion.Version11;

    /// <summary>Connects, checks Range support and learns the size; failures are typed and redacted.</summary>
    public static async Task<HttpRangeClient> OpenAsync(
        Uri uri,
        NetworkCredential? credentials,
        ImageSourceOptions options,
        RemoteCertificateValidationCallback certificateValidation,
        CancellationToken cancellationToken)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = options.AllowRedirects,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            UseProxy = false,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            ConnectTimeout = options.ProbeTimeout,
            MaxConnectionsPerServer = options.MaxParallelFetches + 2 + options.ExtraConnections,
            EnableMultipleHttp2Connections = true,
            ConnectCallback = ConnectAsync,
            SslOptions = new SslClientAuthenticationOptions
            {
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                CipherSuitesPolicy = TlsCipherPreference.Policy,
                RemoteCertificateValidationCallback = certificateValidation,
            },
        };
        var client = new HttpMessageInvoker(handler, disposeHandler: true);
        AuthenticationHeaderValue? authorization = null;
        if (credentials is not null)
        {
            var token = Convert.ToBase64String(
                System.Text.Encoding.UTF8.GetBytes($"{credentials.UserName}:{credentials.Password}"));
            authorization = new AuthenticationHeaderValue("Basic", token);
        }

        var range = new HttpRangeClient(
            client, uri, authorization, options.PreferHttp2 && uri.Scheme == Uri.UriSchemeHttps, UrlRedaction.Redact(uri));
        try
        {
            using var probeTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            probeTimeout.CancelAfter(options.ProbeTimeout);
            await range.ProbeAsync(probeTimeout.Token, cancellationToken);
            return range;
        }
        catch
        {
            range.Dispose();
            throw;
        }
    }

    /// <summary>Starts a GET of [offset, offset+length); the returned body yields exactly that many bytes.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<HttpResponseMessage> GetRangeAsync(long offset, int length, CancellationToken cancellationToken)
    {
        var response = await SendAsync(offset, length, pinned: true, cancellationToken);
        try
        {
            if (response.StatusCode == HttpStatusCode.OK && IsPinned)
            {
                // If-Range did not match: the server sends the whole new image instead of the range.
                throw Changed();
            }

            if (response.StatusCode != HttpStatusCode.PartialContent)
            {
                throw UnexpectedStatus(response);
            }

            var (first, last, complete) = ContentRange(response);
            if (first != offset || last != offset + length - 1)
            {
                throw new ImageSourceException(Errno.EIO, $"{RedactedUrl}: server answered a different range than asked");
            }

            if (complete != Size || !SameEntity(response))
            {
                throw Changed();
            }

            return response;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    public void Dispose() => _client.Dispose();

    private static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
            return new ReceiveBufferedStream(new NetworkStream(socket, ownsSocket: true), ReceiveBufferSize);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task ProbeAsync(CancellationToken probeToken, CancellationToken callerToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await SendAsync(0, 1, pinned: false, probeToken);
        }
        catch (OperationCanceledException e) when (!callerToken.IsCancellationRequested)
        {
            throw new ImageSourceException(Errno.ETIMEDOUT, $"{RedactedUrl}: no answer within the probe time", e);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            throw HttpErrors.FromException(e, RedactedUrl);
        }

        using (response)
        {
            // An empty file has no byte 0 to range over: servers answer 200 with no body (nginx) or 416 "bytes */0".
            if (response.Content.Headers.ContentRange?.Length == 0
                || response.StatusCode == HttpStatusCode.OK && response.Content.Headers.ContentLength == 0)
            {
                throw new ImageSourceException(Errno.EINVAL, $"{RedactedUrl}: the image is empty (0 bytes)");
            }

            if (response.StatusCode == HttpStatusCode.OK)
            {
                throw new ImageSourceException(
                    Errno.ENOTSUP, $"{RedactedUrl}: the server does not support range requests");
            }

            if (response.StatusCode != HttpStatusCode.PartialContent)
            {
                var error = UnexpectedStatus(response);
                throw error is TransientHttpStatusException ? new ImageSourceException(Errno.EIO, error.Message) : error;
            }

            var total = response.Content.Headers.ContentRange?.Length;
            if (total is null or <= 0)
            {
                throw new ImageSourceException(Errno.EIO, $"{RedactedUrl}: the server did not say how big the image is");
            }

            Size = total.Value;
            NegotiatedVersion = response.Version;
            _etag = response.Headers.ETag is { IsWeak: false } etag ? etag : null;
            _lastModified = response.Content.Headers.LastModified;
            _etagText = _etag?.ToString();
            _lastModifiedText = RawHeaders.Single(response.Content.Headers, "Last-Modified");
            _ifRange = _etagText ?? _lastModified?.ToString("r", CultureInfo.InvariantCulture);
        }
    }

    private Task<HttpResponseMessage> SendAsync(long offset, int length, bool pinned, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, _uri)
        {
            Version = _version,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        // As text: the typed values cost three objects more per GET.
        request.Headers.TryAddWithoutValidation(
            "Range", string.Create(CultureInfo.InvariantCulture, $"bytes={offset}-{offset + length - 1}"));
        request.Headers.Authorization = _authorization;
        if (pinned && _ifRange is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Range", _ifRange);
        }

        // SocketsHttpHandler answers once the headers are in and streams the body, as ResponseHeadersRead does.
        return _client.SendAsync(request, cancellationToken);
    }

    /// <summary>The answer's range, read from its text when in the common form (else parsed); -1 for what is missing.</summary>
    private static (long First, long Last, long Complete) ContentRange(HttpResponseMessage response)
    {
        if (RawHeaders.TryParseContentRange(
                RawHeaders.Single(response.Content.Headers, "Content-Range"), out var first, out var last, out var complete))
        {
            return (first, last, complete);
        }

        var range = response.Content.Headers.ContentRange;
        return (range?.From ?? -1, range?.To ?? -1, range?.Length ?? -1);
    }

    /// <summary>True unless the answer's validator differs from the probe's. The same text is the same validator; only
    /// a different text is parsed and compared as a value.</summary>
    private bool SameEntity(HttpResponseMessage response)
    {
        if (_etag is not null)
        {
            return RawHeaders.Single(response.Headers, "ETag") == _etagText || Equals(response.Headers.ETag, _etag);
        }

        return _lastModified is null
            || RawHeaders.Single(response.Content.Headers, "Last-Modified") == _lastModifiedText
            || response.Content.Headers.LastModified is not { } modified
            || modified == _lastModified;
    }

    /// <summary>True when the probe saw a validator to pin the image with.</summary>
    private bool IsPinned => _etag is not null || _lastModified is not null;

    private ImageSourceException Changed() => new(Errno.EIO, $"{RedactedUrl}: the image changed on the server while in use");

    private Exception UnexpectedStatus(HttpResponseMessage response)
    {
        var status = (int)response.StatusCode;
        if (status is >= 300 and < 400)
        {
            var location = response.Headers.Location is { } target
                ? UrlRedaction.Redact(target.IsAbsoluteUri ? target : new Uri(_uri, target))
                : "nowhere";
            return new ImageSourceException(
                Errno.ENOTSUP, $"{RedactedUrl}: redirected to {location}, and following redirects is disabled");
        }

        if (status is >= 500 or 408 or 429)
        {
            return new TransientHttpStatusException($"{RedactedUrl}: HTTP {status}");
        }

        if (response.StatusCode == HttpStatusCode.OK)
        {
            return new ImageSourceException(Errno.EIO, $"{RedactedUrl}: the server ignored the range request");
        }

        return HttpErrors.FromStatus(response.StatusCode, RedactedUrl);
    }
}
