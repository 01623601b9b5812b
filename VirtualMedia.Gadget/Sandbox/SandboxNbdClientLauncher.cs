using System.Globalization;
using VirtualMedia.Gadget.BlockDevice;
using VirtualMedia.Gadget.Kernel;
using VirtualMedia.Nbd;
using VirtualMedia.Nbd.Client;

namespace VirtualMedia.Gadget.Sandbox;

/// <summary>
/// The sandbox's nbd-client: connects to the slot's socket as nbd-client would (handshake, default
/// export, size), keeps <c>sys/block/nbdX</c> up to date, and re-exports the device as an NBD server
/// on <c>dev/nbdX.sock</c> so a person or a test reads what the host would read.
/// </summary>
public sealed class SandboxNbdClientLauncher(KernelPaths paths) : INbdClientLauncher
{
    /// <inheritdoc />
    public IRunningNbdClient Start(NbdClientArguments arguments, Action<string> output) =>
        new Running(paths, arguments, output);

    /// <inheritdoc />
    /// <remarks>The sandbox's clients live in the service's process and end with it: only the size can be left over.</remarks>
    public Task DisconnectAsync(string device, CancellationToken cancellationToken)
    {
        SandboxBlockDevice.Reset(paths, Path.GetFileName(device));
        return Task.CompletedTask;
    }

    /// <summary>Where the sandbox exports the block device <paramref name="device"/> (<c>nbd0</c>).</summary>
    public static string ExportSocket(KernelPaths paths, string device) => paths.DeviceNode(device) + ".sock";

    private sealed class Running : IRunningNbdClient
    {
        private readonly CancellationTokenSource _stop = new();

        public Running(KernelPaths paths, NbdClientArguments arguments, Action<string> output)
        {
            Exited = RunAsync(paths, arguments, output);
        }

        public Task<int> Exited { get; }

        public Task DisconnectAsync(CancellationToken cancellationToken) => _stop.CancelAsync();

        public void Kill() => _stop.Cancel();

        public void Dispose() => _stop.Dispose();

        private async Task<int> RunAsync(KernelPaths paths, NbdClientArguments arguments, Action<string> output)
        {
            await Task.Yield();
            var name = Path.GetFileName(arguments.Device);
            var device = new SandboxBlockDevice(paths, name);
            // Ends with 0 on a disconnect, 1 when the slot's server goes away.
            var ended = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            using var stopping = _stop.Token.Register(() => ended.TrySetResult(0));
            try
            {
                using var connectLimit = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                connectLimit.CancelAfter(TimeSpan.FromSeconds(arguments.TimeoutSeconds));
                var client = await NbdClient.ConnectUnixAsync(arguments.Socket, "", connectLimit.Token).ConfigureAwait(false);
                await using var clientDisposal = client.ConfigureAwait(false);
                output(string.Create(CultureInfo.InvariantCulture, $"Negotiation: ..size = {client.Size / (1024 * 1024)}MB"));

                device.LoadCounters();
                var image = new SandboxDeviceImage(client, device, arguments.ReadOnly, _ => ended.TrySetResult(1));
                var server = new NbdServer(new NbdExport(image));
                await using var listener = NbdUnixListener.Start(server, ExportSocket(paths, name)).ConfigureAwait(false);
                device.SetSize(client.Size);
                output("Connected " + arguments.Device);
                var code = await ended.Task.ConfigureAwait(false);
                device.SetSize(0);
                return code;
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or System.Net.Sockets.SocketException)
            {
                output($"Error: {e.Message}");
                device.SetSize(0);
                return 1;
            }
        }
    }
}
