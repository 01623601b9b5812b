using System.Diagnostics;
using System.IO.Pipes;
using System.Text;
using System.Threading.Channels;
using VirtualMedia.DBus;
using VirtualMedia.Tests.Guest.Runner;

namespace VirtualMedia.Tests.Guest.Shares;

/// <summary>
/// The real service program on a private dbus-daemon inside the VM, configured with one legacy slot
/// on the real kernel, and a client that calls it the way bmcweb does (Mount <c>sbh</c> with a secret pipe).
/// </summary>
internal sealed class ServiceOverDBus : IAsyncDisposable
{
    public const string Name = "xyz.openbmc_project.VirtualMedia";
    public const string SlotPath = "/xyz/openbmc_project/VirtualMedia/Legacy/Slot_2";
    private const string Legacy = Name + ".Legacy";
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _bus;
    private readonly Process _service;
    private readonly StringBuilder _output = new();
    private readonly Channel<int> _completions = Channel.CreateUnbounded<int>();
    private DBusConnection? _client;
    private IAsyncDisposable? _match;

    private ServiceOverDBus(Process bus, Process service)
    {
        _bus = bus;
        _service = service;
    }

    /// <summary>Everything the service wrote to stdout and stderr.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts dbus-daemon and the service (one legacy slot, nbd<paramref name="nbd"/>) and waits for its name.</summary>
    public static async Task<ServiceOverDBus> StartAsync(int nbd, CaseLog log, CancellationToken cancellationToken)
    {
        const string Address = "unix:path=/run/vm-guest/system_bus";
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("the kernel VM runs Linux");
        }

        // What tmpfiles.d does on a BMC.
        Directory.CreateDirectory("/run/virtual-media", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var config = "/run/vm-guest/virtual-media.json";
        await File.WriteAllTextAsync(config, $$"""
            { "InactivityTimeout": 1800,
              "MountPoints": { "Slot_2": { "EndpointId": "", "Mode": 1, "NBDDevice": "nbd{{nbd}}",
                "UnixSocket": "/run/virtual-media/nbd{{nbd}}.sock", "Timeout": 30, "BlockSize": 512 } } }
            """, cancellationToken);
        var bus = Process.Start(new ProcessStartInfo("dbus-daemon", ["--config-file=/usr/share/dbus-1/session.conf", "--address=" + Address, "--nofork"]))!;
        var info = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "VirtualMedia.Service.dll"), "--config", config])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["DBUS_SYSTEM_BUS_ADDRESS"] = Address;
        info.Environment["DOTNET_TieredPGO"] = "0";
        var clock = Stopwatch.StartNew();
        var rig = new ServiceOverDBus(bus, Process.Start(info)!);
        try
        {
            rig._service.OutputDataReceived += (_, e) => rig.Append(e.Data);
            rig._service.ErrorDataReceived += (_, e) => rig.Append(e.Data);
            rig._service.BeginOutputReadLine();
            rig._service.BeginErrorReadLine();
            while (rig._client is null)
            {
                try
                {
                    rig._client = await DBusConnection.ConnectAsync(Address, cancellationToken: cancellationToken);
                }
                catch (Exception e) when (e is DBusException or IOException or System.Net.Sockets.SocketException)
                {
                    await Task.Delay(50, cancellationToken);
                }
            }

            rig._match = await rig._client.AddMatchAsync(
                new MatchRule { Member = "Completion", Path = SlotPath },
                message => rig._completions.Writer.TryWrite(message.GetReader().ReadInt32()),
                cancellationToken);
            while (!await rig.HasOwnerAsync(cancellationToken))
            {
                if (rig._service.HasExited)
                {
                    throw new CaseFailedException($"the service exited at start:\n{rig.Output}");
                }

                await Task.Delay(100, cancellationToken);
            }

            log.Write($"the service owns {Name} {clock.ElapsedMilliseconds} ms after it was started");
            return rig;
        }
        catch
        {
            await rig.DisposeAsync();
            throw;
        }
    }

    /// <summary>Legacy.Mount(sbh) with <c>user\0password\0</c> in a pipe whose write end is closed, as bmcweb since Feb 2025 sends it.</summary>
    public Task<bool> MountAsync(string url, bool readWrite, string user, string password, CancellationToken cancellationToken) =>
        MountWithPipeAsync(url, readWrite, user, password, heldOpen: false, cancellationToken);

    /// <summary>
    /// Legacy.Mount(sbv holding h) as bmcweb before Feb 2025 sends it: the pipe's write end stays open until the reply
    /// has arrived (its reply handler holds the pipe).
    /// </summary>
    public Task<bool> MountHeldOpenAsync(string url, bool readWrite, string user, string password, CancellationToken cancellationToken) =>
        MountWithPipeAsync(url, readWrite, user, password, heldOpen: true, cancellationToken);

    private async Task<bool> MountWithPipeAsync(
        string url, bool readWrite, string user, string password, bool heldOpen, CancellationToken cancellationToken)
    {
        using var pipe = new AnonymousPipeServerStream(PipeDirection.Out);
        await pipe.WriteAsync(Encoding.UTF8.GetBytes(user + "\0" + password + "\0"), cancellationToken);
        pipe.Flush();
        using var readEnd = pipe.ClientSafePipeHandle;
        var body = MessageBody.Create(heldOpen ? "sbv" : "sbh");
        body.WriteString(url);
        body.WriteBool(readWrite);
        if (heldOpen)
        {
            body.WriteVariantSignature("h");
        }

        body.WriteUnixFd(readEnd);
        if (!heldOpen)
        {
            pipe.Dispose();
        }

        using var reply = await _client!.CallMethodAsync(Name, SlotPath, Legacy, "Mount", body, CallTimeout, cancellationToken);
        return reply.GetReader().ReadBool();
    }

    public async Task<bool> UnmountAsync(CancellationToken cancellationToken)
    {
        using var reply = await _client!.CallMethodAsync(Name, SlotPath, Legacy, "Unmount", null, CallTimeout, cancellationToken);
        return reply.GetReader().ReadBool();
    }

    /// <summary>The next Completion signal of the slot.</summary>
    public async Task<int> NextCompletionAsync(CancellationToken cancellationToken) => await _completions.Reader.ReadAsync(cancellationToken);

    /// <summary>SIGTERM, as systemd stops the unit; returns the exit code.</summary>
    public async Task<int> TerminateAsync(CancellationToken cancellationToken)
    {
        using var kill = Process.Start("kill", ["-TERM", _service.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync(cancellationToken);
        await _service.WaitForExitAsync(cancellationToken);
        return _service.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (_match is not null)
        {
            await _match.DisposeAsync();
        }

        if (_client is not null)
        {
            await _client.DisposeAsync();
        }

        foreach (var process in new[] { _service, _bus })
        {
            if (!process.HasExited)
            {
                process.Kill();
                await process.WaitForExitAsync(CancellationToken.None);
            }

            process.Dispose();
        }
    }

    private async Task<bool> HasOwnerAsync(CancellationToken cancellationToken)
    {
        using var body = MessageBody.Create("s");
        body.WriteString(Name);
        using var reply = await _client!.CallMethodAsync(
            "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "NameHasOwner", body, CallTimeout, cancellationToken);
        return reply.GetReader().ReadBool();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Append(line).Append('\n');
        }
    }
}
