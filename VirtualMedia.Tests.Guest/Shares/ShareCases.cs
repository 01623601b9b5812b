using VirtualMedia.DBus;
using VirtualMedia.Gadget.BlockDevice;
using VirtualMedia.Gadget.Kernel;
using VirtualMedia.Nbd;
using VirtualMedia.Nbd.Sources;
using VirtualMedia.Service.Errors;
using VirtualMedia.Service.Shares;
using VirtualMedia.Service.Urls;
using VirtualMedia.Tests.Guest.Gadget;
using VirtualMedia.Tests.Guest.Runner;
using static VirtualMedia.Tests.Guest.Runner.Checks;
using Errno = VirtualMedia.DBus.Errno;

namespace VirtualMedia.Tests.Guest.Shares;

/// <summary>
/// Our share mounter against a real smbd and a real kernel nfsd on the guest's loopback, through the
/// kernel's CIFS and NFS clients; images read back through our NBD export and the real nbd-client.
/// </summary>
internal static class ShareCases
{
    private const string Root = "/run/virtual-media";
    private static readonly KernelSide Kernel = KernelSide.Real(KernelPaths.Host);
    private static ServiceOverDBus? _service;

    /// <summary>Every case; the NFS ones come last so that the server's grace period has ended.</summary>
    public static IReadOnlyList<GuestCase> All { get; } =
    [
        new("SmbSealedMountServesTheImage", SmbSealedMountServesTheImage),
        new("SmbGuestMountReadsTheImage", SmbGuestMountReadsTheImage),
        new("SmbWrongPasswordIsEacces", SmbWrongPasswordIsEacces),
        new("SmbMissingShareIsEnoent", SmbMissingShareIsEnoent),
        new("SmbMissingFileUnmountsAgain", SmbMissingFileUnmountsAgain),
        new("SmbNoServerIsRefused", SmbNoServerIsRefused),
        new("SmbReadWriteShareTakesWrites", SmbReadWriteShareTakesWrites),
        new("SmbFallsBackToSmb30", SmbFallsBackToSmb30),
        new("NfsMountServesTheImage", NfsMountServesTheImage),
        new("NfsMissingFileUnmountsAgain", NfsMissingFileUnmountsAgain),
        new("NfsMissingExportIsEnoent", NfsMissingExportIsEnoent),
        new("NfsReadOnlyExportRefusesReadWrite", NfsReadOnlyExportRefusesReadWrite),
        new("NfsReadWriteExportTakesWrites", NfsReadWriteExportTakesWrites),
        new("LeftoversAreRemovedAtStart", LeftoversAreRemovedAtStart),
        new("StopReleasesEveryShare", StopReleasesEveryShare),
        new("ServiceStartsOnTheRealKernel", ServiceStartsOnTheRealKernel),
        new("ServiceRefusesAWrongPasswordAtMount", ServiceRefusesAWrongPasswordAtMount),
        new("ServiceMountsAnSmbImageForTheHost", ServiceMountsAnSmbImageForTheHost),
        new("ServiceReleasesAnNfsShareOnStop", ServiceReleasesAnNfsShareOnStop),
        new("NfsFallsBackToV3", NfsFallsBackToV3),
    ];

    private static async Task SmbSealedMountServesTheImage(CaseLog log, CancellationToken cancellationToken)
    {
        var mounter = Mounter(log);
        await using (var share = await mounter.MountAsync("Slot_2", ShareServers.Smb("isos/images/test.img"), ShareServers.Root, false, cancellationToken))
        {
            Check(share.Protocol == "SMB 3.1.1 sealed", $"mounted with {share.Protocol}");
            var entry = MountEntry(share.MountPoint);
            log.Write($"/proc/mounts: {entry}");
            Check(entry.Contains(" cifs ro,", StringComparison.Ordinal) && entry.Contains(",seal,", StringComparison.Ordinal) && entry.Contains("vers=3.1.1", StringComparison.Ordinal), "not a read-only sealed SMB 3.1.1 mount");
            Check(!entry.Contains(ShareServers.Password, StringComparison.Ordinal), "the password shows in /proc/mounts");
            await CheckServedThroughNbdAsync(share, ShareServers.ReadOnlyImage, "nbd0", log, cancellationToken);
        }

        CheckNothingMounted();
    }

    private static async Task SmbGuestMountReadsTheImage(CaseLog log, CancellationToken cancellationToken)
    {
        await using (var share = await Mounter(log).MountAsync("Slot_2", ShareServers.Smb("isos/images/test.img"), ShareCredentials.Guest, false, cancellationToken))
        {
            Check(share.Protocol == "SMB 3.1.1 guest", $"mounted with {share.Protocol}");
            await CheckSameBytesAsync(share.ImagePath, ShareServers.ReadOnlyImage, cancellationToken);
        }

        CheckNothingMounted();
    }

    private static Task SmbWrongPasswordIsEacces(CaseLog log, CancellationToken cancellationToken) =>
        ExpectRefusedAsync(log, ShareServers.Smb("rw/rw.img"), ShareServers.WrongPassword, false, Errno.EACCES, cancellationToken);

    private static Task SmbMissingShareIsEnoent(CaseLog log, CancellationToken cancellationToken) =>
        ExpectRefusedAsync(log, ShareServers.Smb("nosuch/test.img"), ShareServers.Root, false, Errno.ENOENT, cancellationToken);

    private static Task SmbMissingFileUnmountsAgain(CaseLog log, CancellationToken cancellationToken) =>
        ExpectRefusedAsync(log, ShareServers.Smb("isos/images/missing.img"), ShareServers.Root, false, Errno.ENOENT, cancellationToken);

    private static Task SmbNoServerIsRefused(CaseLog log, CancellationToken cancellationToken) =>
        ExpectRefusedAsync(log, ShareUrl.Parse("smb://127.0.0.1:4450/isos/images/test.img"), ShareServers.Root, false, Errno.ECONNREFUSED, cancellationToken);

    private static Task SmbReadWriteShareTakesWrites(CaseLog log, CancellationToken cancellationToken) =>
        CheckWritesLandAsync(log, ShareServers.Smb("rw/rw.img"), ShareServers.Root, "nbd1", cancellationToken);

    private static async Task SmbFallsBackToSmb30(CaseLog log, CancellationToken cancellationToken)
    {
        await using (var share = await Mounter(log).MountAsync("Slot_2", ShareUrl.Parse("smb://127.0.0.1:4451/isos/images/test.img"), ShareServers.Root, false, cancellationToken))
        {
            Check(share.Protocol == "SMB 3.0 sealed", $"mounted with {share.Protocol}");
            Check(MountEntry(share.MountPoint).Contains("vers=3.0", StringComparison.Ordinal), "/proc/mounts does not say vers=3.0");
            await CheckSameBytesAsync(share.ImagePath, ShareServers.ReadOnlyImage, cancellationToken);
        }

        CheckNothingMounted();
    }

    private static async Task NfsMountServesTheImage(CaseLog log, CancellationToken cancellationToken)
    {
        await using (var share = await Mounter(log).MountAsync("Slot_3", ShareServers.Nfs("ro/images/test.img"), ShareCredentials.Guest, false, cancellationToken))
        {
            Check(share.Protocol == "NFSv4.2", $"mounted with {share.Protocol}");
            var entry = MountEntry(share.MountPoint);
            log.Write($"/proc/mounts: {entry}");
            Check(entry.Contains(" nfs4 ro,", StringComparison.Ordinal) && entry.Contains(",soft,", StringComparison.Ordinal), "not a read-only soft NFSv4 mount");
            await CheckServedThroughNbdAsync(share, ShareServers.ReadOnlyImage, "nbd2", log, cancellationToken);
        }

        CheckNothingMounted();
    }

    private static Task NfsMissingFileUnmountsAgain(CaseLog log, CancellationToken cancellationToken) =>
        ExpectRefusedAsync(log, ShareServers.Nfs("ro/images/missing.img"), ShareCredentials.Guest, false, Errno.ENOENT, cancellationToken);

    private static Task NfsMissingExportIsEnoent(CaseLog log, CancellationToken cancellationToken) =>
        ExpectRefusedAsync(log, ShareUrl.Parse("nfs://127.0.0.1/nonexistent/test.img"), ShareCredentials.Guest, false, Errno.ENOENT, cancellationToken);

    private static Task NfsReadOnlyExportRefusesReadWrite(CaseLog log, CancellationToken cancellationToken) =>
        ExpectRefusedAsync(log, ShareServers.Nfs("ro/images/test.img"), ShareCredentials.Guest, true, Errno.EROFS, cancellationToken);

    private static Task NfsReadWriteExportTakesWrites(CaseLog log, CancellationToken cancellationToken) =>
        CheckWritesLandAsync(log, ShareServers.Nfs("rw/rw.img"), ShareCredentials.Guest, "nbd3", cancellationToken);

    private static async Task LeftoversAreRemovedAtStart(CaseLog log, CancellationToken cancellationToken)
    {
        // A killed run leaves both mounts, one of them busy (a file still open on it).
        var earlier = Mounter(log);
        var smb = await earlier.MountAsync("Slot_2", ShareServers.Smb("isos/images/test.img"), ShareServers.Root, false, cancellationToken);
        var nfs = await earlier.MountAsync("Slot_3", ShareServers.Nfs("ro/images/test.img"), ShareCredentials.Guest, false, cancellationToken);
        await using var open = File.OpenRead(nfs.ImagePath);
        Check(MountsUnderRoot().Count == 2, $"expected two mounts, found [{string.Join(", ", MountsUnderRoot())}]");

        Mounter(log).RemoveLeftovers();

        CheckNothingMounted();
        Check(!System.IO.Directory.Exists(Path.GetDirectoryName(smb.MountPoint)), "Slot_2's directory was left behind");
        var bytes = new byte[4096];
        await open.ReadExactlyAsync(bytes, cancellationToken);
        log.Write("the busy share was detached lazily and its open file still reads");
    }

    private static async Task StopReleasesEveryShare(CaseLog log, CancellationToken cancellationToken)
    {
        var mounter = Mounter(log);
        var smb = await mounter.MountAsync("Slot_2", ShareServers.Smb("isos/images/test.img"), ShareServers.Root, false, cancellationToken);
        var nfs = await mounter.MountAsync("Slot_3", ShareServers.Nfs("ro/images/test.img"), ShareCredentials.Guest, false, cancellationToken);

        await mounter.ReleaseAllAsync();

        Check(smb.IsReleased && nfs.IsReleased, "a share is not marked released");
        CheckNothingMounted();
    }

    // The whole chain as bmcweb drives it, over four cases that share one service process (its start
    // under emulation alone takes most of a case's minute): Legacy.Mount over D-Bus with the secret in a
    // pipe → CIFS mount → our NBD export → nbd-client → gadget → the host's USB disk; SIGTERM releasing NFS.
    private static async Task ServiceStartsOnTheRealKernel(CaseLog log, CancellationToken cancellationToken) =>
        _service = await ServiceOverDBus.StartAsync(6, log, cancellationToken);

    private static async Task ServiceRefusesAWrongPasswordAtMount(CaseLog log, CancellationToken cancellationToken)
    {
        var running = Service();
        try
        {
            await running.MountAsync(ShareServers.Smb("isos/images/test.img").Display, false, "root", ShareServers.Password + "x", cancellationToken);
            throw new CaseFailedException("Mount with a wrong password was accepted");
        }
        catch (DBusErrorException refused)
        {
            log.Write($"wrong password: {refused.ErrorName}: {refused.Message}");
            Check(refused.ErrorName == Errno.ToErrorName(Errno.EACCES), $"wrong password answered {refused.ErrorName}");
        }

        CheckNothingMounted();
    }

    private static async Task ServiceMountsAnSmbImageForTheHost(CaseLog log, CancellationToken cancellationToken)
    {
        var running = Service();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        // As most BMCs in the field call it (bmcweb 2023–2024): the secret pipe's write end open until the reply.
        Check(await running.MountHeldOpenAsync(ShareServers.Smb("isos/images/test.img").Display, false, "root", ShareServers.Password, cancellationToken), "Mount returned false");
        log.Write($"Mount (sbv h, write end held open) answered in {clock.ElapsedMilliseconds} ms");
        var completion = await running.NextCompletionAsync(cancellationToken);
        Check(completion == 0, $"Completion {completion}");
        log.Write($"Mount to Completion: {clock.ElapsedMilliseconds} ms");
        Check(MountsUnderRoot().Count == 1, "the share is not mounted while the slot is active");
        var udc = File.ReadAllText("/sys/kernel/config/usb_gadget/mass-storage-Slot_2/UDC").Trim();
        var disk = await HostDisk.WaitForAsync(udc, "sd", cancellationToken);
        var host = await HostDisk.ReadAllAsync(disk, cancellationToken);
        var expected = await HostDisk.Sha256Async(ShareServers.ReadOnlyImage, cancellationToken);
        Check(host == expected, $"the host's /dev/{disk} reads {host}, the share's image is {expected}");
        log.Write($"the host's /dev/{disk} on {udc} has the image's sha256");

        Check(await running.UnmountAsync(cancellationToken), "Unmount returned false");
        completion = await running.NextCompletionAsync(cancellationToken);
        Check(completion == 0, $"Unmount Completion {completion}");
        CheckNothingMounted();
    }

    private static async Task ServiceReleasesAnNfsShareOnStop(CaseLog log, CancellationToken cancellationToken)
    {
        var running = Service();
        try
        {
            Check(await running.MountAsync(ShareServers.Nfs("ro/images/test.img").Display, false, string.Empty, string.Empty, cancellationToken), "NFS Mount returned false");
            var completion = await running.NextCompletionAsync(cancellationToken);
            Check(completion == 0, $"NFS Completion {completion}");
            Check(MountsUnderRoot().Count == 1, "the export is not mounted while the slot is active");
            var exit = await running.TerminateAsync(cancellationToken);
            Check(exit == 0, $"the service exited {exit} on SIGTERM");
            CheckNothingMounted();
            Check(!running.Output.Contains(ShareServers.Password, StringComparison.Ordinal), "the password appears in the service's output");
        }
        finally
        {
            log.Write("service output:\n" + running.Output);
            await running.DisposeAsync();
            _service = null;
        }
    }

    private static ServiceOverDBus Service() => _service ?? throw new CaseFailedException("the service did not start (ServiceStartsOnTheRealKernel)");

    // Last: restarts the NFS server without NFSv4, so that every v4 minor version is refused.
    private static async Task NfsFallsBackToV3(CaseLog log, CancellationToken cancellationToken)
    {
        await RunAsync("rpc.nfsd", ["0"], cancellationToken);
        await RunAsync("rpc.nfsd", ["-N", "4", "4"], cancellationToken);
        log.Write($"server versions now: {File.ReadAllText("/proc/fs/nfsd/versions").Trim()}");
        await using (var share = await Mounter(log).MountAsync("Slot_3", ShareServers.Nfs("ro/images/test.img"), ShareCredentials.Guest, false, cancellationToken))
        {
            Check(share.Protocol == "NFSv3", $"mounted with {share.Protocol}");
            Check(MountEntry(share.MountPoint).Contains(",nolock,", StringComparison.Ordinal), "the NFSv3 mount is not nolock");
            await CheckSameBytesAsync(share.ImagePath, ShareServers.ReadOnlyImage, cancellationToken);
        }

        CheckNothingMounted();
    }

    private static async Task RunAsync(string program, string[] arguments, CancellationToken cancellationToken)
    {
        using var process = System.Diagnostics.Process.Start(program, arguments);
        await process.WaitForExitAsync(cancellationToken);
        Check(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)} exited {process.ExitCode}");
    }

    private static async Task ExpectRefusedAsync(CaseLog log, ShareUrl url, ShareCredentials credentials, bool readWrite, int errno, CancellationToken cancellationToken)
    {
        try
        {
            await using var share = await Mounter(log).MountAsync("Slot_2", url, credentials, readWrite, cancellationToken);
            throw new CaseFailedException($"{url.Display} mounted with {share.Protocol}; expected errno {errno}");
        }
        catch (MediaException error)
        {
            log.Write($"refused: errno {error.Errno}: {error.Message}");
            Check((int)error.Errno == errno, $"errno {error.Errno}, expected {errno}");
            Check(error.Message.Contains(url.Display, StringComparison.Ordinal), "the message does not name the URL");
            Check(ShareServers.Password.Length == 0 || !error.Message.Contains(ShareServers.Password, StringComparison.Ordinal), "the message shows the password");
        }

        CheckNothingMounted();
        Check(!System.IO.Directory.Exists(Path.Combine(Root, "Slot_2")), "the slot's directory was left behind");
    }

    private static async Task CheckWritesLandAsync(CaseLog log, ShareUrl url, ShareCredentials credentials, string nbd, CancellationToken cancellationToken)
    {
        var block = new byte[4096];
        Random.Shared.NextBytes(block);
        const long Offset = 1 << 20;
        await using (var share = await Mounter(log).MountAsync("Slot_2", url, credentials, true, cancellationToken))
        {
            Check(share.ReadWrite && MountEntry(share.MountPoint).Contains(" rw,", StringComparison.Ordinal), "the share is not mounted read-write");
            await using var source = FileImageSource.Open(share.ImagePath, writable: true);
            await using var listener = NbdUnixListener.Start(new NbdServer(new NbdExport(source)), $"/run/vm-guest/{nbd}.sock");
            await using var device = new NbdBlockDevice(Kernel, "Slot_2", nbd, log);
            await device.AttachAsync(listener.SocketPath, 30, 512, false, cancellationToken);
            await using (var stream = new FileStream(device.DevicePath, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1, FileOptions.WriteThrough))
            {
                stream.Seek(Offset, SeekOrigin.Begin);
                await stream.WriteAsync(block, cancellationToken);
                stream.Flush(flushToDisk: true);
            }

            await device.DetachAsync(cancellationToken);
        }

        CheckNothingMounted();
        var landed = new byte[block.Length];
        await using (var file = File.OpenRead(ShareServers.ReadWriteImage))
        {
            file.Seek(Offset, SeekOrigin.Begin);
            await file.ReadExactlyAsync(landed, cancellationToken);
        }

        Check(landed.AsSpan().SequenceEqual(block), "the bytes written to the NBD device are not in the server's file");
    }

    // The share's file through FileImageSource → our NBD export → nbd-client → /dev/nbdX must equal the server's file.
    private static async Task CheckServedThroughNbdAsync(MountedShare share, string original, string nbd, CaseLog log, CancellationToken cancellationToken)
    {
        var expected = await HostDisk.Sha256Async(original, cancellationToken);
        await using var source = FileImageSource.Open(share.ImagePath, writable: false);
        await using var listener = NbdUnixListener.Start(new NbdServer(new NbdExport(source)), $"/run/vm-guest/{nbd}.sock");
        await using var device = new NbdBlockDevice(Kernel, share.Slot, nbd, log);
        await device.AttachAsync(listener.SocketPath, 30, 512, true, cancellationToken);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var served = await HostDisk.Sha256Async(device.DevicePath, cancellationToken);
        log.Write($"{device.DevicePath}: {served.Size} bytes read in {clock.ElapsedMilliseconds} ms");
        Check(served == expected, $"{device.DevicePath} reads {served}, the server's file is {expected}");
        await device.DetachAsync(cancellationToken);
    }

    private static async Task CheckSameBytesAsync(string path, string original, CancellationToken cancellationToken)
    {
        var expected = await HostDisk.Sha256Async(original, cancellationToken);
        var actual = await HostDisk.Sha256Async(path, cancellationToken);
        Check(actual == expected, $"{path} reads {actual}, the server's file is {expected}");
    }

    private static ShareMounter Mounter(CaseLog log) =>
        new(new ShareMounterOptions { Root = Root }, new KernelMountSystem(), new KernelShareSupport(), log);

    private static List<string> MountsUnderRoot() =>
        new KernelMountSystem().MountPoints().Where(p => p.StartsWith(Root + "/", StringComparison.Ordinal)).ToList();

    private static string MountEntry(string mountPoint) =>
        File.ReadLines("/proc/mounts").FirstOrDefault(line => line.Split(' ')[1] == mountPoint) ?? string.Empty;

    private static void CheckNothingMounted()
    {
        var left = MountsUnderRoot();
        Check(left.Count == 0, $"mounts left under {Root}: {string.Join(", ", left)}");
    }
}
