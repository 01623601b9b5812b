using System.Diagnostics;
using VirtualMedia.Gadget.BlockDevice;
using VirtualMedia.Gadget.ConfigFs;
using VirtualMedia.Gadget.Kernel;
using VirtualMedia.Gadget.Udc;
using VirtualMedia.Nbd;
using VirtualMedia.Service.Activation;
using VirtualMedia.Service.Configuration;
using VirtualMedia.Tests.Guest.Runner;
using static VirtualMedia.Tests.Guest.Runner.Checks;

namespace VirtualMedia.Tests.Guest.Gadget;

/// <summary>The Gadget layer on a real kernel: nbd, configfs, dummy_hcd with two UDCs, usb-storage, sd, sr.</summary>
internal static class GadgetCases
{
    private static readonly KernelSide Kernel = KernelSide.Real(KernelPaths.Host);

    /// <summary>Every case, in order: the first mount after boot must come first.</summary>
    public static IReadOnlyList<GuestCase> All { get; } =
    [
        new("FirstMountAfterBootIsKept", FirstMountAfterBootIsKept),
        new("StaleGadgetIsRemovedAtStart", StaleGadgetIsRemovedAtStart),
        new("StaleNbdConnectionIsDisconnectedAtStart", StaleNbdConnectionIsDisconnectedAtStart),
        new("UsbStickShowsTheImage", UsbStickShowsTheImage),
        new("CdShowsTheImage", CdShowsTheImage),
        new("WriteProtectedRefusesWrites", WriteProtectedRefusesWrites),
        new("UnbindRemovesTheDisk", UnbindRemovesTheDisk),
        new("TwoSlotsOnTwoUdcs", TwoSlotsOnTwoUdcs),
    ];

    private static async Task FirstMountAfterBootIsKept(CaseLog log, CancellationToken cancellationToken)
    {
        // The first connection after boot brings an extra uevent; the device must stay attached through it.
        var composer = new GadgetComposer(Kernel, log);
        await using var rig = await SlotRig.AttachAsync(Kernel, composer, "Slot_0", 0, writeProtected: true, log, cancellationToken);
        var image = await rig.ImageHashAsync(cancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(1.5), cancellationToken);
        Check(!rig.Device.Exited.IsCompleted, "nbd-client ended after the first mount");
        Check(rig.Device.SizeBytes == image.Size, $"/dev/nbd0 is {rig.Device.SizeBytes} bytes, the image {image.Size}");
        var device = await HostDisk.Sha256Async(rig.Device.DevicePath, cancellationToken);
        Check(device == image, $"/dev/nbd0 reads {device}, the image is {image}");
        Check(rig.Device.ReadStatistics().ReadIO > 0, "no reads counted in /sys/block/nbd0/stat");
    }

    private static async Task StaleGadgetIsRemovedAtStart(CaseLog log, CancellationToken cancellationToken)
    {
        // A run killed with SIGKILL leaves its gadget bound to a block device that its orphaned nbd-client keeps
        // connected to a socket whose server is gone; the next run's start removes both, gadget first.
        var udc = await StaleGadgetMaker.MountInAProcessAndKillItAsync("Slot_1", log, cancellationToken);
        var disk = HostDisk.Find(udc, "sd");
        Check(disk is not null, $"the killed process's disk behind {udc} is not there");
        var device = new NbdBlockDevice(Kernel, "Slot_1", "nbd1", log);
        Check(device.SizeBytes > 0, "the killed process's nbd1 is not connected any more");

        var slot = new SlotConfiguration("Slot_1", SlotMode.Legacy, "", "nbd1", "/run/vm-guest/nbd1.sock", 30, 512, MediaType.UsbStick);
        await new MediaChain(Kernel, log, new NbdServerOptions().BufferBudgetBytes).RemoveStaleAsync([slot], cancellationToken);

        Check(!Directory.Exists(new GadgetComposer(Kernel, log).DirectoryOf("Slot_1")), "the stale gadget's directory is still there");
        await HostDisk.WaitGoneAsync(disk!, cancellationToken);
        Check(!new UdcPicker(Kernel.Paths).InUse().Contains(udc), $"{udc} still counts as used");
        Check(device.SizeBytes == 0, $"nbd1 is still connected ({device.SizeBytes} bytes)");
    }

    private static async Task StaleNbdConnectionIsDisconnectedAtStart(CaseLog log, CancellationToken cancellationToken)
    {
        // A proxy slot's nbd-client outlives a killed service while bmcweb still serves its socket: nbd3 stays
        // connected, and the next run's start disconnects it (nbd-client -d) before any Mount needs it.
        var composer = new GadgetComposer(Kernel, log);
        await using var rig = await SlotRig.AttachAsync(Kernel, composer, "Slot_3", 3, writeProtected: true, log, cancellationToken);
        Check(rig.Device.SizeBytes > 0, "nbd3 is not connected");

        var slot = new SlotConfiguration("Slot_3", SlotMode.Proxy, "/nbd/3", "nbd3", "/run/vm-guest/Slot_3.sock", 30, 512, MediaType.UsbStick);
        await new MediaChain(Kernel, log, new NbdServerOptions().BufferBudgetBytes).RemoveStaleAsync([slot], cancellationToken);

        Check(rig.Device.SizeBytes == 0, $"nbd3 is still connected ({rig.Device.SizeBytes} bytes)");
        Check(log.Text.Contains("disconnected nbd3", StringComparison.Ordinal), "no warning that nbd3 was disconnected");
        var exited = await rig.Device.Exited.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
        log.Write($"the left-over nbd-client ended with {exited}");
    }

    private static async Task UsbStickShowsTheImage(CaseLog log, CancellationToken cancellationToken)
    {
        var composer = new GadgetComposer(Kernel, log);
        await using var rig = await SlotRig.MountAsync(Kernel, composer, "Slot_2", 2, MediaType.UsbStick, false, log, cancellationToken);
        var clock = Stopwatch.StartNew();
        var disk = await HostDisk.WaitForAsync(rig.Gadget!.Udc, "sd", cancellationToken);
        log.Write($"/dev/{disk} appeared {clock.ElapsedMilliseconds} ms after binding {rig.Gadget.Udc}");
        Check(File.ReadAllText($"/sys/block/{disk}/removable").Trim() == "1", "the host disk is not removable");
        var image = await rig.ImageHashAsync(cancellationToken);
        var host = await HostDisk.ReadAllAsync(disk, cancellationToken);
        Check(host == image, $"/dev/{disk} reads {host}, the image is {image}");

        // A write by the host reaches the image through the whole chain.
        var block = new byte[4096];
        Array.Fill(block, (byte)0x5a);
        await using (var stream = new FileStream("/dev/" + disk, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1, FileOptions.WriteThrough))
        {
            stream.Seek(1 << 20, SeekOrigin.Begin);
            await stream.WriteAsync(block, cancellationToken);
            stream.Flush(flushToDisk: true);
        }

        var written = new byte[4096];
        await using (var file = File.OpenRead(rig.ImagePath))
        {
            file.Seek(1 << 20, SeekOrigin.Begin);
            await file.ReadExactlyAsync(written, cancellationToken);
        }

        Check(written.AsSpan().SequenceEqual(block), "the host's write did not reach the image");
        var stats = rig.Device.ReadStatistics();
        log.Write($"nbd2 stat: {stats.ReadIO} reads, {stats.WriteIO} writes");
        Check(stats.ReadIO > 0 && stats.WriteIO > 0, $"I/O counters {stats} did not move");
    }

    private static async Task CdShowsTheImage(CaseLog log, CancellationToken cancellationToken)
    {
        var composer = new GadgetComposer(Kernel, log);
        await using var rig = await SlotRig.MountAsync(Kernel, composer, "Slot_3", 3, MediaType.Cd, false, log, cancellationToken);
        var clock = Stopwatch.StartNew();
        var disk = await HostDisk.WaitForAsync(rig.Gadget!.Udc, "sr", cancellationToken);
        var image = await rig.ImageHashAsync(cancellationToken);
        var host = await HostDisk.ReadAllAsync(disk, cancellationToken);
        log.Write($"/dev/{disk} read completely {clock.ElapsedMilliseconds} ms after binding");
        Check(host == image, $"/dev/{disk} reads {host}, the image is {image}");
        Check(File.ReadAllText($"/sys/block/{disk}/device/type").Trim() == "5", "the host device is not a CD-ROM (SCSI type 5)");
        Check(File.ReadAllText(Path.Combine(rig.Gadget.Directory, "functions/mass_storage.usb0/lun.0/ro")).Trim() == "1", "a CD LUN is not read-only");
    }

    private static async Task WriteProtectedRefusesWrites(CaseLog log, CancellationToken cancellationToken)
    {
        var composer = new GadgetComposer(Kernel, log);
        await using var rig = await SlotRig.MountAsync(Kernel, composer, "Slot_4", 4, MediaType.UsbStick, true, log, cancellationToken);
        var disk = await HostDisk.WaitForAsync(rig.Gadget!.Udc, "sd", cancellationToken);
        var before = await rig.ImageHashAsync(cancellationToken);
        Check(File.ReadAllText($"/sys/block/{disk}/ro").Trim() == "1", $"/sys/block/{disk}/ro is not 1");
        try
        {
            await using var stream = new FileStream("/dev/" + disk, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1, FileOptions.WriteThrough);
            await stream.WriteAsync(new byte[4096], cancellationToken);
            stream.Flush(flushToDisk: true);
            throw new CaseFailedException($"writing /dev/{disk} succeeded on write-protected media");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Write($"the write was refused as it should be: {e.Message}");
        }

        Check(await rig.ImageHashAsync(cancellationToken) == before, "the image changed");
        Check(rig.Device.ReadStatistics().WriteIO == 0, "writes were counted on nbd4");
    }

    private static async Task UnbindRemovesTheDisk(CaseLog log, CancellationToken cancellationToken)
    {
        var composer = new GadgetComposer(Kernel, log);
        await using var rig = await SlotRig.MountAsync(Kernel, composer, "Slot_5", 5, MediaType.UsbStick, true, log, cancellationToken);
        var disk = await HostDisk.WaitForAsync(rig.Gadget!.Udc, "sd", cancellationToken);
        var clock = Stopwatch.StartNew();
        composer.Remove("Slot_5");
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(TimeSpan.FromSeconds(2));
        await HostDisk.WaitGoneAsync(disk, limit.Token);
        log.Write($"/dev/{disk} gone {clock.ElapsedMilliseconds} ms after the unbind");
        Check(!Directory.Exists(rig.Gadget.Directory), "the gadget directory is still there");
    }

    private static async Task TwoSlotsOnTwoUdcs(CaseLog log, CancellationToken cancellationToken)
    {
        var composer = new GadgetComposer(Kernel, log);
        await using var first = await SlotRig.MountAsync(Kernel, composer, "Slot_6", 6, MediaType.UsbStick, true, log, cancellationToken);
        await using var second = await SlotRig.MountAsync(Kernel, composer, "Slot_7", 7, MediaType.Cd, true, log, cancellationToken);
        Check(first.Gadget!.Udc != second.Gadget!.Udc, $"both slots took {first.Gadget.Udc}");
        var disk = await HostDisk.WaitForAsync(first.Gadget.Udc, "sd", cancellationToken);
        var cd = await HostDisk.WaitForAsync(second.Gadget.Udc, "sr", cancellationToken);
        Check(await HostDisk.ReadAllAsync(disk, cancellationToken) == await first.ImageHashAsync(cancellationToken), $"/dev/{disk} differs from its image");
        Check(await HostDisk.ReadAllAsync(cd, cancellationToken) == await second.ImageHashAsync(cancellationToken), $"/dev/{cd} differs from its image");

        // A third slot finds no free UDC: a clear EBUSY, and nothing of it left behind.
        await using var third = await SlotRig.AttachAsync(Kernel, composer, "Slot_8", 8, true, log, cancellationToken);
        var refused = Expect<KernelException>(() => composer.Create(new GadgetSpec("Slot_8", third.Device.DevicePath, MediaType.UsbStick, true)));
        Check(refused.Errno == Errno.EBUSY, $"no free UDC gave errno {refused.Errno}, not EBUSY");
        Check(!Directory.Exists(composer.DirectoryOf("Slot_8")), "the refused gadget was left in configfs");

        // The kernel itself refuses a UDC another gadget holds, and we report its EBUSY as such.
        var intruder = Path.Combine(Kernel.Paths.GadgetRoot, "vm-test-intruder");
        Kernel.Files.CreateDirectory(intruder);
        try
        {
            var busy = Expect<KernelException>(() => Kernel.Files.WriteAttribute(Path.Combine(intruder, "UDC"), first.Gadget.Udc));
            log.Write($"kernel answer: {busy.Message}");
            Check(busy.Errno == Errno.EBUSY, $"the kernel's refusal came back as errno {busy.Errno}, not EBUSY");
        }
        finally
        {
            Kernel.Files.RemoveDirectory(intruder);
        }
    }
}
