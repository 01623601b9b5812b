using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using VirtualMedia.Service.Bus;
using VirtualMedia.Service.Configuration;
using VirtualMedia.Service.Logging;
using VirtualMedia.Service.Shares;

namespace VirtualMedia.Service.Hosting;

/// <summary>Runs the service from a configuration file until SIGTERM; returns the process exit code.</summary>
internal static class ServiceRunner
{
    /// <summary>Exit code of an unusable configuration (EX_CONFIG; the unit does not restart on it).</summary>
    public const int ConfigurationError = 78;

    /// <summary>Exit code when the service could not start (no bus, name taken, …).</summary>
    public const int StartFailed = 1;

    /// <summary>Loads <paramref name="configurationFile"/>, then hosts the service.</summary>
    public static async Task<int> RunAsync(string configurationFile, CancellationToken cancellationToken)
    {
        using var loggers = JournalLogging.CreateJournalLoggers();
        var logger = loggers.CreateLogger("VirtualMedia");
        ServiceConfiguration configuration;
        try
        {
            configuration = ConfigurationLoader.Load(configurationFile, out var warnings);
            foreach (var warning in warnings)
            {
                logger.LogWarning("{Warning}", warning);
            }
        }
        catch (ConfigurationException e)
        {
            logger.LogError("{Error}", e.Message);
            return ConfigurationError;
        }

        var mounter = ShareServices.CreateMounter(configuration, loggers.CreateLogger("VirtualMedia.Shares"));
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            await using var service = new VirtualMediaService(configuration, stopping.Cancel, loggers, TimeProvider.System, new KernelShares(mounter));
            await RunUntilStoppedAsync(service, mounter, logger, stopping.Token);
            return Environment.ExitCode;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // SIGTERM before the service was up: it stops as asked.
            return Environment.ExitCode;
        }
        catch (SocketException e)
        {
            // Exit 1, not 78: a bus that is not up yet is worth systemd's restart, unlike a bad configuration.
            var reason = e.SocketErrorCode is SocketError.AddressNotAvailable or SocketError.ConnectionRefused ? "nothing listens there" : e.Message;
            logger.LogError("Cannot start: cannot connect to the D-Bus system bus {Address}: {Reason}", ConfigurationException.Excerpt(VirtualMediaBus.SystemBusAddress), reason);
            return StartFailed;
        }
        catch (Exception e) when (e is IOException or TimeoutException or UnauthorizedAccessException)
        {
            logger.LogError("Cannot start: {Reason}", e.Message);
            return StartFailed;
        }
    }

    /// <summary>Starts the share clean-up, then the service; tells systemd; waits for SIGTERM or a lost bus; stops the service.</summary>
    private static async Task RunUntilStoppedAsync(VirtualMediaService service, ShareMounter mounter, ILogger logger, CancellationToken stopping)
    {
        // Leftover share mounts go before any slot exists; shares still mounted go after every slot is stopped.
        await Task.Run(mounter.RemoveLeftovers, stopping);
        try
        {
            await service.StartAsync(stopping);
            Notify("READY=1", logger);
            await Task.Delay(Timeout.Infinite, stopping).ContinueWith(_ => { }, TaskScheduler.Default);
            Notify("STOPPING=1", logger);
            await service.StopAsync();
        }
        finally
        {
            await mounter.ReleaseAllAsync();
        }
    }

    private static void Notify(string state, ILogger logger)
    {
        if (SystemdNotifier.Notify(state) is { } failure)
        {
            logger.LogWarning("Could not tell systemd {State}: {Reason}", state, failure);
        }
    }
}
