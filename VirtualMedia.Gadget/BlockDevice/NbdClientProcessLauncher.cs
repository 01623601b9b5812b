using System.Diagnostics;

namespace VirtualMedia.Gadget.BlockDevice;

/// <summary>Runs the real nbd-client program.</summary>
/// <param name="program">Path of nbd-client.</param>
public sealed class NbdClientProcessLauncher(string program) : INbdClientLauncher
{
    /// <inheritdoc />
    public IRunningNbdClient Start(NbdClientArguments arguments, Action<string> output)
    {
        var process = StartProcess(program, arguments.ToCommandLine(), output);
        return new RunningProcess(this, arguments.Device, process);
    }

    /// <inheritdoc />
    public async Task DisconnectAsync(string device, CancellationToken cancellationToken)
    {
        // nbd-client -d issues NBD_DISCONNECT and NBD_CLEAR_SOCK on the device.
        using var disconnect = StartProcess(program, ["-d", device], _ => { });
        try
        {
            await disconnect.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            disconnect.Kill();
            throw;
        }
    }

    private static Process StartProcess(string program, IEnumerable<string> arguments, Action<string> output)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Forward(e.Data, output);
        process.ErrorDataReceived += (_, e) => Forward(e.Data, output);
        if (!process.Start())
        {
            throw new InvalidOperationException($"could not start {program}");
        }

        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static void Forward(string? line, Action<string> output)
    {
        if (!string.IsNullOrWhiteSpace(line))
        {
            output(line);
        }
    }

    private sealed class RunningProcess : IRunningNbdClient
    {
        private readonly NbdClientProcessLauncher _launcher;
        private readonly string _device;
        private readonly Process _process;

        public RunningProcess(NbdClientProcessLauncher launcher, string device, Process process)
        {
            _launcher = launcher;
            _device = device;
            _process = process;
            Exited = WaitAsync();
        }

        public Task<int> Exited { get; }

        public Task DisconnectAsync(CancellationToken cancellationToken) => _launcher.DisconnectAsync(_device, cancellationToken);

        public void Kill()
        {
            if (!_process.HasExited)
            {
                _process.Kill();
            }
        }

        public void Dispose() => _process.Dispose();

        private async Task<int> WaitAsync()
        {
            await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            return _process.ExitCode;
        }
    }
}
