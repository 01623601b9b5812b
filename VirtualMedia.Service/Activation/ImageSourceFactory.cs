using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using VirtualMedia.Nbd;
using VirtualMedia.Service.ImageSources;
using VirtualMedia.Service.ImageSources.Files;
using VirtualMedia.Service.ImageSources.Http;
using VirtualMedia.Service.Urls;

namespace VirtualMedia.Service.Activation;

/// <summary>Opens the image behind a URL (https, http, file) after probing it; every failure is an
/// <see cref="ImageSourceException"/> with an errno and a message that names the URL without credentials.</summary>
internal sealed class ImageSourceFactory
{
    private readonly ILogger _logger;

    public ImageSourceFactory(ILogger<ImageSourceFactory>? logger = null)
    {
        _logger = logger ?? NullLogger<ImageSourceFactory>.Instance;
    }

    /// <summary>Probes <paramref name="url"/> (within <see cref="ImageSourceOptions.ProbeTimeout"/>) and returns a
    /// source for it. Credentials in the URL's user info are used when <paramref name="credentials"/> is null.</summary>
    public async Task<IImageSource> CreateAsync(
        ImageUrl url, ImageSourceOptions options, NetworkCredential? credentials, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(options);
        var uri = url.Uri;
        credentials ??= FromUserInfo(uri);
        switch (url.Scheme)
        {
            case ImageScheme.Https:
                return await OpenHttpAsync(uri, options, credentials, cancellationToken);
            case ImageScheme.Http:
                if (!options.AllowHttp)
                {
                    throw new ImageSourceException(Errno.ENOTSUP, $"{url.ForLog}: plain http:// is disabled");
                }

                if (credentials is not null)
                {
                    throw new ImageSourceException(Errno.EPERM, $"{url.ForLog}: refusing to send credentials over plain http://");
                }

                return await OpenHttpAsync(uri, options, null, cancellationToken);
            case ImageScheme.File:
                return ImageDirectoryPolicy.Open(uri, options.ImageDirectory, options.Writable);
            default:
                throw ImageUrl.NotSupportedHere(uri);
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
        MemoryTrim.AfterCacheAllocated();
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
