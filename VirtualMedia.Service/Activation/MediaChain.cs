using Microsoft.Extensions.Logging;
using VirtualMedia.Gadget.BlockDevice;
using VirtualMedia.Gadget.ConfigFs;
using VirtualMedia.Gadget.Kernel;
using VirtualMedia.Nbd;
using VirtualMedia.Service.Configuration;

namespace VirtualMedia.Service.Activation;

/// <summary>
/// Builds a slot's chain from the socket on: (legacy) our NBD export of the image on the slot's
/// socket, then the NBD block device attached to that socket, then the USB gadget backed by it.
/// A proxy slot starts at the block device: bmcweb already listens on the socket.
/// </summary>
internal sealed class MediaChain
{
    private readonly KernelSide _kernel;
    private readonly GadgetComposer _gadgets;
    private readonly ILogger _logger;
    private readonly long _nbdBufferBytes;

    /// <summary>Creates the chain builder for one kernel side (real or sandbox); a legacy slot's NBD server holds at
    /// most <paramref name="nbdBufferBytes"/> of request buffers.</summary>
    public MediaChain(KernelSide kernel, ILogger logger, long nbdBufferBytes)
    {
        _kernel = kernel;
        _logger = logger;
        _nbdBufferBytes = nbdBufferBytes;
        _gadgets = new GadgetComposer(kernel, logger);
    }

    /// <summary>
    /// Removes what a killed predecessor left behind (a restart must leave nothing stale): its gadgets first, as they
    /// hold the block devices, then any connection still on the slots' NBD devices.
    /// </summary>
    public async Task RemoveStaleAsync(IEnumerable<SlotConfiguration> slots, CancellationToken cancellationToken)
    {
        foreach (var slot in _gadgets.RemoveStale())
        {
            _logger.LogWarning("{Slot}: removed the USB gadget a previous run left behind", slot);
        }

        foreach (var slot in slots)
        {
            RemoveStaleSocket(slot);
            var device = new NbdBlockDevice(_kernel, slot.Name, slot.NbdDevice, _logger);
            try
            {
                if (await device.DisconnectStaleAsync(cancellationToken))
                {
                    _logger.LogWarning("{Slot}: disconnected {Device}, which a previous run left connected", slot.Name, slot.NbdDevice);
                }
            }
            catch (KernelException e)
            {
                _logger.LogError("{Slot}: {Reason}", slot.Name, e.Message);
            }
        }
    }

    /// <summary>
    /// A legacy slot's socket path is ours (our NBD export binds it, replacing whatever is there); a proxy slot's is
    /// bmcweb's, left alone.
    /// </summary>
    private void RemoveStaleSocket(SlotConfiguration slot)
    {
        if (slot.Mode != SlotMode.Legacy || !File.Exists(slot.UnixSocket))
        {
            return;
        }

        try
        {
            File.Delete(slot.UnixSocket);
            _logger.LogWarning("{Slot}: removed the socket {Socket} a previous run left behind", slot.Name, slot.UnixSocket);
        }
        catch (IOException e)
        {
            _logger.LogError("{Slot}: could not remove the stale socket {Socket}: {Reason}", slot.Name, slot.UnixSocket, e.Message);
        }
    }

    /// <summary>Refuses a mount that could only fail later: the slot's NBD device is held by someone else, or no UDC is free.</summary>
    /// <exception cref="KernelException">EBUSY (or ENODEV when there is no UDC at all).</exception>
    public void EnsureAvailable(SlotConfiguration slot)
    {
        new NbdBlockDevice(_kernel, slot.Name, slot.NbdDevice, _logger).EnsureFree();
        _gadgets.EnsureFreeUdc();
    }

    /// <summary>
    /// Sets up the chain for <paramref name="slot"/>; with an <paramref name="image"/> (legacy) it is
    /// exported first. On failure or cancellation everything built is torn down before this throws.
    /// </summary>
    public async Task<SlotMedia> ActivateAsync(
        SlotConfiguration slot, PreparedImage? image, bool writeProtected, CancellationToken cancellationToken)
    {
        var media = new SlotMedia(slot.Name, _logger) { Image = image };
        try
        {
            if (image is not null)
            {
                var server = new NbdServer(new NbdExport(image.Source), new NbdServerOptions
                {
                    BufferBudgetBytes = _nbdBufferBytes,
                    ConnectionFailed = e => _logger.LogWarning("{Slot}: NBD connection ended: {Reason}", slot.Name, e.Message),
                });
                media.Export = NbdUnixListener.Start(server, slot.UnixSocket);
            }

            var device = new NbdBlockDevice(_kernel, slot.Name, slot.NbdDevice, _logger);
            media.Device = device;
            await device.AttachAsync(slot.UnixSocket, slot.TimeoutSeconds, slot.BlockSize, writeProtected, cancellationToken);
            cancellationToken.ThrowIfCancellationRequested();

            _gadgets.Create(new GadgetSpec(slot.Name, device.DevicePath, slot.MediaType, writeProtected));
            media.RemoveGadget = () =>
            {
                _gadgets.Remove(slot.Name);
                return Task.CompletedTask;
            };

            return media;
        }
        catch
        {
            await media.DisposeAsync();
            throw;
        }
    }
}
