using System.Diagnostics;

namespace VirtualMedia.Tests.Infrastructure;

/// <summary>A private dbus-daemon on a unix socket in a temp directory (EXTERNAL auth, as on a BMC); dispose to stop it.</summary>
/// <remarks>
/// Skips the test locally (fails under CI) when dbus-daemon is missing. Peers reach it with
/// <see cref="Address"/> (for example <c>busctl --address=…</c>) or <see cref="Environment"/>
/// (sets DBUS_SYSTEM_BUS_ADDRESS and DBUS_SESSION_BUS_ADDRESS).
/// </remarks>
public sealed class DBusDaemon : IAsyncDisposable
{
    private readonly TempDirectory _directory;
    private readonly Process _process;

    private DBusDaemon(TempDirectory directory, Process process, string address)
    {
        _directory = directory;
        _process = process;
        Address = address;
        SocketPath = directory.Combine("bus");
        Environment = new Dictionary<string, string>
        {
            ["DBUS_SYSTEM_BUS_ADDRESS"] = address,
            ["DBUS_SESSION_BUS_ADDRESS"] = address,
        };
    }

    /// <summary>The bus address (<c>unix:path=/tmp/…/bus</c>).</summary>
    public string Address { get; }

    /// <summary>The socket file.</summary>
    public string SocketPath { get; }

    /// <summary>Environment variables that point bus clients at this daemon.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; }

    /// <summary>Starts a daemon and waits until it accepts connections; <paramref name="anonymous"/> offers only ANONYMOUS
    /// auth, <paramref name="policy"/> is a bus policy file included after the allow-all default (as the system bus
    /// includes system.d), <paramref name="everyone"/> lets other users reach the socket.</summary>
    public static async Task<DBusDaemon> StartAsync(
        bool anonymous = false, string? policy = null, bool everyone = false, CancellationToken cancellationToken = default)
    {
        var program = Require.Tool("dbus-daemon");
        var directory = new TempDirectory("vm-dbus");
        try
        {
            if (everyone && !OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(directory.Path, (UnixFileMode)0b111_101_101);
            }

            var socket = directory.Combine("bus");
            var config = directory.Combine("bus.conf");
            await File.WriteAllTextAsync(config, Configuration(socket, anonymous, policy), cancellationToken);
            var process = ExternalProcess.Start(program, ["--config-file=" + config, "--nofork", "--nopidfile", "--print-address=1"]);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            var address = await process.StandardOutput.ReadLineAsync(timeout.Token);
            if (string.IsNullOrWhiteSpace(address))
            {
                var error = await process.StandardError.ReadToEndAsync(cancellationToken);
                await ExternalProcess.StopAsync(process);
                process.Dispose();
                throw new InvalidOperationException($"dbus-daemon did not start: {error}");
            }

            return new DBusDaemon(directory, process, "unix:path=" + socket);
        }
        catch
        {
            directory.Dispose();
            throw;
        }
    }

    /// <summary>Stops the daemon and removes its directory.</summary>
    public async ValueTask DisposeAsync()
    {
        await ExternalProcess.StopAsync(_process);
        _process.Dispose();
        _directory.Dispose();
    }

    private static string Configuration(string socket, bool anonymous, string? policy) => $"""
        <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
         "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
        <busconfig>
          <type>system</type>
          <listen>unix:path={socket}</listen>
          {(anonymous ? "<auth>ANONYMOUS</auth><allow_anonymous/>" : "<auth>EXTERNAL</auth>")}
          <policy context="default">
            <allow user="*"/>
            <allow own="*"/>
            <allow send_destination="*" eavesdrop="true"/>
            <allow receive_sender="*"/>
            <allow eavesdrop="true"/>
          </policy>
          {(policy is null ? "" : $"<include>{policy}</include>")}
        </busconfig>
        """;
}
