using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using VirtualMedia.Nbd;
using VirtualMedia.Service.ImageSources.Files;
using VirtualMedia.Service.ImageSources.Http;

namespace VirtualMedia.Service.ImageSources;

/// <summary>Opens the image behind a URL (https, http, file) after probing it; every failure is an
/// <see cref="ImageSourceException"/> with an errno and a message that names the URL without credentials.</summary>
public sealed class ImageSourceFactory
{
    private readonly ILogger _logger;

    public ImageSourceFactory(ILogger<ImageSourceFactory>? logger = null)
    {
        _logger = logger ?? NullLogger<ImageSourceFactory>.Instance;
    }

    /// <summary>Probes <paramref name="url"/> (within <see cref="ImageSourceOptions.ProbeTimeout"/>) and returns a
    /// source for it. Credentials in the URL's user info are used when <paramref name="credentials"/> is null.</summary>
    public async Task<IImageSource> CreateAsync(
        string url, ImageSourceOptions options, NetworkCredential? credentials, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var shown = UrlRedaction.Redact(url);
        if (string.IsNullOrWhiteSpace(url) || !Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri)
            || shown.StartsWith('<'))
        {
            throw new ImageSourceException(Errno.EINVAL, $"{shown}: not a valid image URL");
        }

        credentials ??= FromUserInfo(uri);
        switch (uri.Scheme)
        {
            case "https":
                return await OpenHttpAsync(uri, options, credentials, cancellationToken);
            case "http":
                if (!options.AllowHttp)
                {
                    throw new ImageSourceException(Errno.ENOTSUP, $"{shown}: plain http:// is disabled");
                }

                if (credentials is not null)
                {
                    throw new ImageSourceException(Errno.EPERM, $"{shown}: refusing to send credentials over plain http://");
                }

                return await OpenHttpAsync(uri, options, null, cancellationToken);
            case "file":
                return ImageDirectoryPolicy.Open(uri, options.ImageDirectory, options.Writable);
            default:
                throw new ImageSourceException(Errno.ENOTSUP, $"{shown}: the {uri.Scheme}:// scheme is not supported here");
        }
    }

    private async Task<IImageSource> OpenHttpAsync(
        Uri uri, ImageSourceOptions options, NetworkCredential? credentials, CancellationToken cancellationToken)
    {
        if (options.SkipCertificateVerification && uri.Scheme == Uri.UriSchemeHttps)
        {
            _logger.LogWarning("TLS certificate verification is OFF for {Url}", UrlRedaction.Redact(uri));
        }

        var withoutUserInfo = new UriBuilder(uri) { UserName = string.Empty, Password = string.Empty }.Uri;
        var client = await HttpRangeClient.OpenAsync(
            withoutUserInfo, credentials, options, CertificatePolicy.Create(options), cancellationToken);
        var source = HttpRangeSource.Create(client, options);
        _logger.LogInformation(
            "Opened {Url}: {Size} bytes over HTTP/{Version}", client.RedactedUrl, client.Size, client.NegotiatedVersion);
        return source;
    }

    private static NetworkCredential? FromUserInfo(Uri uri)
    {
        if (string.IsNullOrEmpty(uri.UserInfo))
        {
            return null;
        }

        var parts = uri.UserInfo.Split(':', 2);
        return new NetworkCredential(
            Uri.UnescapeDataString(parts[0]), parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : string.Empty);
    }
}
