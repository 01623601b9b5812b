using System.CommandLine;
using System.Net;
using Microsoft.Extensions.Logging;
using VirtualMedia.Nbd;
using VirtualMedia.Service.Activation;
using VirtualMedia.Service.Configuration;
using VirtualMedia.Service.ImageSources;
using VirtualMedia.Service.Logging;
using VirtualMedia.Service.Urls;

namespace VirtualMedia.Service.Commands;

/// <summary><c>serve &lt;url&gt; --socket &lt;path&gt;</c>: exports one image over NBD on a unix socket until interrupted,
/// without D-Bus, so operators can check an image URL from the BMC (and benchmarks can drive the NBD path).</summary>
internal static class ServeCommand
{
    private const int MiB = 1024 * 1024;

    public static Command Create()
    {
        var url = new Argument<string>("url") { Description = "Image URL: https://, http:// (with --allow-http) or file:// (with --image-dir)" };
        var socket = new Option<string>("--socket") { Description = "Unix socket to listen on (its directory must be 0700)", Required = true };
        var insecure = new Option<bool>("--insecure") { Description = "Do not verify the server's TLS certificate" };
        var readWrite = new Option<bool>("--read-write") { Description = "Export writable (file:// only)" };
        var user = new Option<string?>("--user") { Description = "User name for HTTP Basic authentication" };
        var passwordFile = new Option<string?>("--password-file") { Description = "File holding the password (never pass it on the command line)" };
        var allowHttp = new Option<bool>("--allow-http") { Description = "Allow plain http:// URLs (no credentials)" };
        var allowRedirects = new Option<bool>("--allow-redirects") { Description = "Follow HTTP redirects" };
        var caDirectory = new Option<string?>("--ca-dir") { Description = "Directory of extra trusted CA certificates (PEM)" };
        var imageDirectory = new Option<string?>("--image-dir") { Description = "Directory file:// images may come from" };
        var cacheSize = new Option<int>("--cache-mib") { Description = "Read-ahead cache size in MiB (the service's CacheMiB default)", DefaultValueFactory = _ => ConfigurationDefaults.CacheMiB };
        var fetchSize = new Option<int>("--fetch-mib") { Description = "Largest GET of a sequential reader's miss in MiB (bounded by the cache; read-ahead streams longer ones)", DefaultValueFactory = _ => new ImageSourceOptions().FetchSize / MiB };
        var readAhead = new Option<int>("--read-ahead-mib") { Description = "Read-ahead window of a sequential reader in MiB (bounded by the cache)", DefaultValueFactory = _ => new ImageSourceOptions().ReadAhead / MiB };
        var http2 = new Option<bool>("--http2") { Description = "Offer HTTP/2 (HTTP/1.1 is the default: faster and cheaper here, see ImageSourceOptions)" };

        var command = new Command("serve", "Serve one image as an NBD export on a unix socket until interrupted")
        {
            url, socket, insecure, readWrite, user, passwordFile, allowHttp, allowRedirects, caDirectory, imageDirectory, cacheSize, fetchSize, readAhead, http2,
        };
        command.SetAction((result, cancellationToken) =>
        {
            var options = new ImageSourceOptions
            {
                AllowHttp = result.GetValue(allowHttp),
                AllowRedirects = result.GetValue(allowRedirects),
                SkipCertificateVerification = result.GetValue(insecure),
                CaDirectory = result.GetValue(caDirectory),
                ImageDirectory = result.GetValue(imageDirectory),
                Writable = result.GetValue(readWrite),
                CacheSize = Math.Clamp(result.GetValue(cacheSize), 1, 1024) * MiB,
                FetchSize = Math.Clamp(result.GetValue(fetchSize), 1, 1024) * MiB,
                ReadAhead = Math.Clamp(result.GetValue(readAhead), 1, 1024) * MiB,
                PreferHttp2 = result.GetValue(http2),
            };
            return RunAsync(
                result.GetValue(url)!,
                result.GetValue(socket)!,
                options,
                result.GetValue(user),
                result.GetValue(passwordFile),
                cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunAsync(
        string url,
        string socketPath,
        ImageSourceOptions options,
        string? user,
        string? passwordFile,
        CancellationToken cancellationToken)
    {
        using var loggerFactory = JournalLogging.CreateTerminalLoggers();
        var logger = loggerFactory.CreateLogger("serve");
        try
        {
            var credentials = await ReadCredentialsAsync(user, passwordFile, cancellationToken);
            var image = ImageUrl.FromCommandLine(url);
            await using var source = await new ImageSourceFactory(loggerFactory.CreateLogger<ImageSourceFactory>())
                .CreateAsync(image, options, credentials, cancellationToken);
            var export = new NbdExport(source);
            var server = new NbdServer(export, new NbdServerOptions
            {
                BufferBudgetBytes = ConfigurationDefaults.NbdBufferMiB(options.CacheSize / (1024 * 1024)) * 1024L * 1024,
                ConnectionFailed = e => logger.LogWarning("NBD client connection failed: {Error}", e.Message),
            });
            long allocatedBefore;
            await using (NbdUnixListener.Start(server, socketPath))
            {
                allocatedBefore = GC.GetTotalAllocatedBytes();
                logger.LogInformation(
                    "Serving {Url} ({Size} bytes, {Mode}) on {Socket}",
                    image.ForLog,
                    source.Size,
                    source.IsWritable ? "read-write" : "read-only",
                    socketPath);
                await Task.Delay(Timeout.Infinite, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }

            // The collections are what a reader waits on beside the image server: the bench reads them from here.
            logger.LogInformation(
                "Stopped: {Reads} reads ({BytesRead} bytes), {Writes} writes ({BytesWritten} bytes); request buffers {PeakBuffers} bytes at most; {Allocated} bytes allocated while serving; {Collections} collections ({Older} of gen1 or 2, {Full} of gen2), {PauseMs:0.0} ms paused",
                export.ReadRequests,
                export.BytesRead,
                export.WriteRequests,
                export.BytesWritten,
                server.PeakBufferBytesInUse,
                GC.GetTotalAllocatedBytes() - allocatedBefore,
                GC.CollectionCount(0),
                GC.CollectionCount(1),
                GC.CollectionCount(2),
                GC.GetTotalPauseDuration().TotalMilliseconds);
            return 0;
        }
        catch (Exception e) when (e is ImageSourceException or IOException or UnauthorizedAccessException)
        {
            logger.LogError("{Error}", e.Message);
            return 1;
        }
    }

    private static async Task<NetworkCredential?> ReadCredentialsAsync(
        string? user, string? passwordFile, CancellationToken cancellationToken)
    {
        if (user is null)
        {
            return passwordFile is null
                ? null
                : throw new ImageSourceException(Errno.EINVAL, "--password-file needs --user");
        }

        var password = passwordFile is null
            ? string.Empty
            : (await File.ReadAllTextAsync(passwordFile, cancellationToken)).TrimEnd('\r', '\n');
        return new NetworkCredential(user, password);
    }
}
