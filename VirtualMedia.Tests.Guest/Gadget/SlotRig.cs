using VirtualMedia.Gadget.BlockDevice;
using VirtualMedia.Gadget.ConfigFs;
using VirtualMedia.Gadget.Kernel;
using VirtualMedia.Nbd;
using VirtualMedia.Nbd.Sources;
using VirtualMedia.Tests.Guest.Runner;

namespace VirtualMedia.Tests.Guest.Gadget;

/// <summary>
/// One slot's whole chain, as the service builds it: image file → our NBD export on a unix socket →
/// real nbd-client → <c>/dev/nbdX</c> → our gadget on a dummy UDC.
/// </summary>
internal sealed class SlotRig : IAsyncDisposable
{
    private readonly GadgetComposer _composer;
    private readonly FileImageSource _source;
    private readonly NbdUnixListener _listener;

    private SlotRig(GadgetComposer composer, string slot, string image, FileImageSource source, NbdUnixListener listener, NbdBlockDevice device)
    {
        _composer = composer;
        Slot = slot;
        ImagePath = image;
        _source = source;
        _listener = listener;
        Device = device;
    }

    public string Slot { get; }

    public string ImagePath { get; }

    public NbdBlockDevice Device { get; }

    public MassStorageGadget? Gadget { get; private set; }

    /// <summary>Writes a random image, serves it and attaches <c>nbd<paramref name="nbd"/></c> to it (no gadget yet).</summary>
    public static async Task<SlotRig> AttachAsync(
        KernelSide kernel, GadgetComposer composer, string slot, int nbd, bool writeProtected, CaseLog log, CancellationToken cancellationToken)
    {
        var image = $"/tmp/{slot}.img";
        var content = new byte[4 << 20];
        new Random(nbd + 1).NextBytes(content);
        await File.WriteAllBytesAsync(image, content, cancellationToken);

        var source = FileImageSource.Open(image, writable: !writeProtected);
        var listener = NbdUnixListener.Start(new NbdServer(new NbdExport(source)), $"/run/vm-guest/{slot}.sock");
        var device = new NbdBlockDevice(kernel, slot, "nbd" + nbd, log);
        var rig = new SlotRig(composer, slot, image, source, listener, device);
        try
        {
            await device.AttachAsync(listener.SocketPath, 30, 512, writeProtected, cancellationToken);
            return rig;
        }
        catch
        {
            await rig.DisposeAsync();
            throw;
        }
    }

    /// <summary>The chain up to the gadget, bound: what the host sees after a mount.</summary>
    public static async Task<SlotRig> MountAsync(
        KernelSide kernel, GadgetComposer composer, string slot, int nbd, MediaType media, bool writeProtected, CaseLog log, CancellationToken cancellationToken)
    {
        var rig = await AttachAsync(kernel, composer, slot, nbd, writeProtected, log, cancellationToken);
        try
        {
            rig.Gadget = composer.Create(new GadgetSpec(slot, rig.Device.DevicePath, media, writeProtected));
            return rig;
        }
        catch
        {
            await rig.DisposeAsync();
            throw;
        }
    }

    /// <summary>Size and sha256 of the image file.</summary>
    public Task<(long Size, string Sha256)> ImageHashAsync(CancellationToken cancellationToken) =>
        HostDisk.Sha256Async(ImagePath, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        _composer.Remove(Slot);
        await Device.DetachAsync(CancellationToken.None);
        await _listener.DisposeAsync();
        await _source.DisposeAsync();
        File.Delete(ImagePath);
    }
}
