using System.Collections.Concurrent;
using System.Diagnostics;

namespace VirtualMedia.Tests.Infrastructure;

/// <summary>The real VirtualMedia.Service program, started on a configuration; its stdout lines are kept.</summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly Task _pump;

    private ServiceProcess(Process process)
    {
        _process = process;
        _pump = ExternalProcess.CollectLinesAsync(process, _lines);
    }

    /// <summary>The service program: the native binary scripts/test publishes (<c>VIRTUALMEDIA_SERVICE</c>), as a BMC
    /// runs it, or its wrapper running the arm64 binary under qemu-aarch64-static; else the JIT build copied next to
    /// the tests.</summary>
    public static string Program =>
        Environment.GetEnvironmentVariable("VIRTUALMEDIA_SERVICE") is { Length: > 0 } published
            ? published
            : Path.Combine(AppContext.BaseDirectory, "VirtualMedia.Service");

    /// <summary>Every line the service wrote so far (stdout and stderr).</summary>
    public IReadOnlyList<string> Lines => [.. _lines];

    /// <summary>The whole output so far.</summary>
    public string Output => string.Join('\n', _lines);

    /// <summary>True once the process ended.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The process id.</summary>
    public int Id => _process.Id;

    /// <summary>Starts the service with <c>--config <paramref name="configFile"/></c> and <paramref name="environment"/>.</summary>
    public static ServiceProcess Start(string configFile, IReadOnlyDictionary<string, string> environment) =>
        new(ExternalProcess.Start(Program, ["--config", configFile], environment));

    /// <summary>Waits for the process to end on its own and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var limit = new CancellationTokenSource(Patience.Scale(timeout));
        await _process.WaitForExitAsync(limit.Token);
        await _pump;
        return _process.ExitCode;
    }

    /// <summary>Sends SIGTERM, as systemd does, and returns the exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan? timeout = null)
    {
        await ExternalProcess.StopAsync(_process, Patience.Scale(timeout ?? TimeSpan.FromSeconds(30)));
        await _pump;
        return _process.ExitCode;
    }

    /// <summary>Kills the process at once (SIGKILL), as a crash would.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
        await _pump;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await ExternalProcess.StopAsync(_process, Patience.Scale(TimeSpan.FromSeconds(30)));
        }

        await _pump;
        _process.Dispose();
    }
}
