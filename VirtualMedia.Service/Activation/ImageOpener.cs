using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using VirtualMedia.Nbd;
using VirtualMedia.Service.Configuration;
using VirtualMedia.Service.Credentials;
using VirtualMedia.Service.Errors;
using VirtualMedia.Service.ImageSources;
using VirtualMedia.Service.ImageSources.Files;
using VirtualMedia.Service.ImageSources.Upload;
using VirtualMedia.Service.Shares;
using VirtualMedia.Service.Urls;

namespace VirtualMedia.Service.Activation;

/// <summary>
/// Opens legacy images with the configured policy: https/http/file through the image source factory
/// (which probes the server), smb/nfs through the share step, whose mount is released with the image.
/// </summary>
internal sealed class ImageOpener : IImageOpener
{
    private const int MiB = 1024 * 1024;
    private readonly ServiceConfiguration _configuration;
    private readonly ImageSourceFactory _factory;
    private readonly IShareMounter _shares;
    private readonly ILogger _logger;

    /// <summary>Creates the opener for <paramref name="configuration"/>; the images' links are watched through <paramref name="logger"/>.</summary>
    public ImageOpener(ServiceConfiguration configuration, ImageSourceFactory factory, IShareMounter shares, ILogger logger)
    {
        _configuration = configuration;
        _factory = factory;
        _shares = shares;
        _logger = logger;
    }

    /// <inheritdoc />
    /// <remarks>
    /// The checks end within the slot's Timeout, answered as ETIMEDOUT: they run off the caller's thread, so even one
    /// stuck in the kernel (a hung NFS server, a file system that does not answer) cannot keep Mount from answering or
    /// the slot from returning to Ready. Whatever such a check opens once it finally returns is closed at once.
    /// </remarks>
    public async Task<PreparedImage> OpenAsync(
        string slot, ImageUrl url, bool readWrite, TransferMethod transfer, MountSecret secret, CancellationToken cancellationToken)
    {
        var seconds = _configuration.Slots.FirstOrDefault(s => s.Name == slot)?.TimeoutSeconds ?? ConfigurationDefaults.LegacyTimeoutSeconds;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(seconds));
        var opening = Task.Run(() => OpenUnboundedAsync(slot, url, readWrite, transfer, secret, deadline.Token), CancellationToken.None);
        try
        {
            return await opening.WaitAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            _ = CloseWhenDoneAsync(opening);
            throw new MediaException(Errno.ETIMEDOUT, $"{url.ForLog}: the checks did not finish within the slot's Timeout ({seconds} s)");
        }
    }

    private static async Task CloseWhenDoneAsync(Task<PreparedImage> opening)
    {
        try
        {
            await (await opening).DisposeAsync();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The Mount was already answered with ETIMEDOUT; this late failure has nobody to tell.
        }
    }

    private async Task<PreparedImage> OpenUnboundedAsync(
        string slot, ImageUrl url, bool readWrite, TransferMethod transfer, MountSecret secret, CancellationToken cancellationToken)
    {
        if (url.Scheme is ImageScheme.Smb or ImageScheme.Nfs)
        {
            if (transfer == TransferMethod.Upload)
            {
                // Streaming it instead would break the promise the operator chose Upload for: surviving the link.
                throw new MediaException(
                    Errno.ENOTSUP, $"{url.ForLog}: TransferMethod Upload copies web images only; set the slot's Method to Stream for shares");
            }

            var share = await _shares.MountAsync(slot, url, readWrite, secret, cancellationToken);
            try
            {
                return new PreparedImage(RegularImageFile.Open(share.ImageFile, url.ForLog, readWrite), share.Release);
            }
            catch
            {
                await share.Release.DisposeAsync();
                throw;
            }
        }

        var outageBudget = TimeSpan.FromSeconds(_configuration.SourceOutageSeconds);
        var watch = new SourceWatch(slot, outageBudget, _logger);
        var options = new ImageSourceOptions
        {
            AllowHttp = _configuration.AllowHttp,
            CaDirectory = _configuration.CaDirectory,
            SkipCertificateVerification = !_configuration.VerifyCertificates,
            ImageDirectory = _configuration.ImageDirectory,
            Writable = readWrite,
            CacheSize = _configuration.CacheMiB * MiB,
            ReadAhead = Math.Min(new ImageSourceOptions().ReadAhead, _configuration.CacheMiB * MiB / 2),
            OutageBudget = outageBudget,
            HealthObserver = watch,
            ExtraConnections = transfer == TransferMethod.Upload ? UploadSource.MaxFills : 0,
        };
        // The password becomes a string only here, where HttpClient needs one; the secret's own bytes are wiped after the Mount.
        var credentials = secret.IsEmpty ? null : new NetworkCredential(secret.User, Encoding.UTF8.GetString(secret.Password));
        var source = await _factory.CreateAsync(url, options, credentials, cancellationToken);
        if (transfer == TransferMethod.Stream)
        {
            return new PreparedImage(source, null) { Watch = watch };
        }

        if (url.Scheme == ImageScheme.File)
        {
            // Already in BMC storage: nothing to copy, and nothing that a lost link could take away.
            var local = TransferProgress.Local(source.Size);
            return new PreparedImage(source, null) { Watch = watch, Transfer = () => local };
        }

        try
        {
            var storage = new UploadStorage(_configuration.ImageDirectory, _configuration.UploadReserveMiB * (long)MiB);
            var upload = storage.Start(source, watch, new UploadLog(_logger, slot, url.ForLog));
            return new PreparedImage(upload, null) { Watch = watch, Transfer = () => upload.Progress };
        }
        catch
        {
            await source.DisposeAsync();
            throw;
        }
    }
}
