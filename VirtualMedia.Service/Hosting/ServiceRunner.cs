using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
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
        using var loggers = LoggerFactory.Create(builder => builder.AddJournalLogging());
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

        using var host = Build(configuration);
        try
        {
            await host.RunAsync(cancellationToken);
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

    private static IHost Build(ServiceConfiguration configuration)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.AddJournalLogging();
        builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = TimeSpan.FromSeconds(60));
        builder.Services.Configure<ConsoleLifetimeOptions>(options => options.SuppressStatusMessages = true);
        if (Environment.GetEnvironmentVariable("NOTIFY_SOCKET") is { Length: > 0 })
        {
            // systemd (Type=notify) or a test standing in for it: READY=1 once every hosted service has started,
            // that is once the objects are registered and the name is owned.
            builder.Services.AddSingleton<ISystemdNotifier, SystemdNotifier>();
            builder.Services.AddSingleton<IHostLifetime, SystemdLifetime>();
        }

        builder.Services.AddSingleton(configuration);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddKernelShares(configuration);
        builder.Services.AddHostedService<VirtualMediaService>();
        return builder.Build();
    }
}
