using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using VirtualMedia.Gadget.Kernel;
using VirtualMedia.Nbd;

namespace VirtualMedia.Gadget.BlockDevice;

/// <summary>
/// One slot's NBD block device (<c>/dev/nbdX</c>): attached by an NBD client to the slot's socket,
/// ready when the kernel gives it a size, detached by a disconnect, counted by its <c>stat</c> file.
/// </summary>
/// <remarks>
/// Readiness is watched by polling <c>/sys/block/nbdX/size</c> rather than by uevents: the extra
/// <c>change</c> event of the first connection after boot then cannot pass for a removal.
/// </remarks>
public sealed class NbdBlockDevice : IAsyncDisposable
{
    private static readonly TimeSpan FirstPoll = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan LongestPoll = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan StaleDisconnectLimit = TimeSpan.FromSeconds(5);

    private readonly KernelSide _kernel;
    private readonly string _slot;
    private readonly ILogger _logger;
    private IRunningNbdClient? _client;
    private BlockDeviceStatistics _baseline;
    private bool _detaching;

    /// <summary>Prepares the block device <paramref name="device"/> (<c>nbd0</c>) for <paramref name="slot"/>.</summary>
    public NbdBlockDevice(KernelSide kernel, string slot, string device, ILogger logger)
    {
        _kernel = kernel;
        _slot = slot;
        Device = device;
        _logger = logger;
    }

    /// <summary>The kernel's name of the device (<c>nbd0</c>).</summary>
    public string Device { get; }

    /// <summary>The device node, what the gadget's LUN serves.</summary>
    public string DevicePath => _kernel.Paths.DeviceNode(Device);

    /// <summary>Exit code of the last NBD client; null while one runs or before the first.</summary>
    public int? ExitCode { get; private set; }

    /// <summary>Completes with the running client's exit code (an unexpected end means the media is gone).</summary>
    public Task<int> Exited => _client?.Exited ?? Task.FromResult(ExitCode ?? 0);

    /// <summary>The device's size in bytes as the kernel reports it; 0 when nothing is attached.</summary>
    public long SizeBytes => ReadSectors() * 512;

    /// <summary>Refuses a device that something else holds: a mount on it could only fail later.</summary>
    /// <exception cref="KernelException">EBUSY when the device has a size, that is, a connection.</exception>
    public void EnsureFree()
    {
        if (SizeBytes > 0)
        {
            throw new KernelException(
                $"{Device} is in use: another NBD client is attached to it ({SizeBytes} bytes)", Errno.EBUSY);
        }
    }

    /// <summary>
    /// Disconnects the device when a connection is left on it (a killed predecessor's orphaned nbd-client,
    /// whose server is gone) and waits until the kernel has dropped it; true when there was one.
    /// </summary>
    /// <exception cref="KernelException">EBUSY when the device still has a size after the disconnect.</exception>
    public async Task<bool> DisconnectStaleAsync(CancellationToken cancellationToken)
    {
        if (ReadSectors() == 0)
        {
            return false;
        }

        await _kernel.NbdClients.DisconnectAsync(DevicePath, cancellationToken).ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        var delay = FirstPoll;
        while (ReadSectors() != 0)
        {
            if (clock.Elapsed > StaleDisconnectLimit)
            {
                throw new KernelException(
                    $"{Device} still has a connection {StaleDisconnectLimit.TotalSeconds:0} s after the disconnect", Errno.EBUSY);
            }

            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay = delay * 2 < LongestPoll ? delay * 2 : LongestPoll;
        }

        return true;
    }

    /// <summary>Reads and writes completed since the attachment.</summary>
    public BlockDeviceStatistics ReadStatistics() => ReadRawStatistics().Since(_baseline);

    /// <summary>Starts the NBD client on <paramref name="socket"/> and waits until the device has its size.</summary>
    /// <exception cref="KernelException">The client ended early (EIO) or the device was not ready in time (ETIMEDOUT).</exception>
    public async Task AttachAsync(string socket, int timeoutSeconds, int blockSize, bool readOnly, CancellationToken cancellationToken)
    {
        if (_client is not null)
        {
            throw new InvalidOperationException($"{Device} is already attached");
        }

        var arguments = new NbdClientArguments(socket, DevicePath, timeoutSeconds, blockSize, readOnly);
        _baseline = ReadRawStatistics();
        _detaching = false;
        ExitCode = null;
        var client = _kernel.NbdClients.Start(arguments, line => _logger.LogInformation("{Slot}: nbd-client: {Line}", _slot, line));
        _client = client;
        _ = client.Exited.ContinueWith(t => LogExit(t.Result), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);

        try
        {
            await WaitUntilReadyAsync(client, TimeSpan.FromSeconds(timeoutSeconds), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await DetachAsync(CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        _logger.LogInformation("{Slot}: {Device} ready, {Size} bytes", _slot, Device, SizeBytes);
    }

    /// <summary>Disconnects the device, waits for the client to end, kills it after <paramref name="grace"/>.</summary>
    public async Task DetachAsync(CancellationToken cancellationToken, TimeSpan? grace = null)
    {
        var client = _client;
        if (client is null)
        {
            return;
        }

        _detaching = true;
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(grace ?? TimeSpan.FromSeconds(5));
        try
        {
            if (!client.Exited.IsCompleted)
            {
                await client.DisconnectAsync(limit.Token).ConfigureAwait(false);
            }

            await client.Exited.WaitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _logger.LogWarning("{Slot}: nbd-client did not end after the disconnect; killing it", _slot);
            client.Kill();
        }

        ExitCode = await client.Exited.ConfigureAwait(false);
        client.Dispose();
        _client = null;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await DetachAsync(CancellationToken.None).ConfigureAwait(false);

    private async Task WaitUntilReadyAsync(IRunningNbdClient client, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var delay = FirstPoll;
        while (ReadSectors() == 0)
        {
            if (client.Exited.IsCompleted)
            {
                throw new KernelException(
                    $"nbd-client exited with {await client.Exited.ConfigureAwait(false)} before {Device} was ready", Errno.EIO);
            }

            if (clock.Elapsed > timeout)
            {
                throw new KernelException(
                    $"{Device} had no size after {timeout.TotalSeconds:0} s: the NBD server did not answer",
                    Errno.ETIMEDOUT);
            }

            await Task.WhenAny(Task.Delay(delay, cancellationToken), client.Exited).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            delay = delay * 2 < LongestPoll ? delay * 2 : LongestPoll;
        }
    }

    private void LogExit(int code)
    {
        if (_detaching)
        {
            _logger.LogInformation("{Slot}: nbd-client ended ({Code})", _slot, code);
        }
        else
        {
            _logger.LogError("{Slot}: nbd-client exited unexpectedly with {Code}", _slot, code);
        }
    }

    private long ReadSectors()
    {
        var text = ReadSysBlock("size");
        return long.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var sectors) ? sectors : 0;
    }

    private BlockDeviceStatistics ReadRawStatistics() => BlockDeviceStatistics.Parse(ReadSysBlock("stat"));

    private string ReadSysBlock(string attribute)
    {
        try
        {
            return File.ReadAllText(Path.Combine(_kernel.Paths.SysBlock(Device), attribute));
        }
        catch (IOException)
        {
            return "";
        }
    }
}
