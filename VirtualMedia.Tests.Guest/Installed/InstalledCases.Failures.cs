using System.Diagnostics;
using VirtualMedia.Tests.Guest.Gadget;
using VirtualMedia.Tests.Guest.Runner;
using static VirtualMedia.Tests.Guest.Runner.Checks;

namespace VirtualMedia.Tests.Guest.Installed;

/// <summary>The installed service when things go wrong: the image server dies (streamed, or after an Upload's copy is
/// complete), the host stops reading.</summary>
internal static partial class InstalledCases
{
    /// <summary>Larger than the slot's read-ahead cache (16 MiB), so that the end of it is still on the server when it dies.</summary>
    private const int LargeImageSize = 24 << 20;

    // The host must see I/O errors, not a hang; past SourceOutageSeconds the slot ejects itself with Completion EIO and
    // one err line, and once the server is back a new Mount works.
    private static async Task ImageServerKilledMidReadGivesIoErrors(CaseLog log, CancellationToken cancellationToken)
    {
        var nginx = _nginx ?? throw new CaseFailedException("nginx did not start (TestConfigurationTakesOverOnRestart)");
        var image = Path.Combine(GuestNginx.Root, "large.img");
        await WriteImageAsync(image, cancellationToken, LargeImageSize);
        var path = SystemBusClient.Legacy(Stick);
        Task<bool> Mount(CancellationToken ct) => Client.MountAsync(Stick, GuestNginx.PrivateUrl("large.img"), false, GuestNginx.User, GuestNginx.Password, ct);
        var mark = await InstalledUnit.ErrorMarkAsync(cancellationToken);
        Check(await Mount(cancellationToken), "Mount returned false");
        Check(await Client.NextCompletionAsync(path, cancellationToken) == 0, "Mount's Completion is not 0");
        var udc = SlotLeftovers.Udc(Stick);
        var disk = await HostDisk.WaitForAsync(udc, "sd", cancellationToken);
        await HostReads.FirstBlockAsync(disk, cancellationToken);

        await nginx.KillAsync();
        var clock = Stopwatch.StartNew();
        var error = await HostReads.DirectReadErrorAsync(disk, LargeImageSize - 4096, cancellationToken);
        log.Write($"the host's read of the image's last block failed {clock.ElapsedMilliseconds} ms after the server died: {error}");
        Check(error.Length > 0, "the host read the last block although the server was dead");
        var completion = await Client.NextCompletionAsync(path, cancellationToken);
        log.Write($"Completion {completion} {clock.ElapsedMilliseconds} ms after the server died");
        Check(completion == 5, $"the slot's Completion is {completion}, not EIO (5)");
        Check(!(bool)await Client.GetAsync(path, "Process", "Active", cancellationToken), "the slot is still Active");
        await SlotLeftovers.CheckNoneLeftAsync(Stick, "nbd3", udc, legacy: true, cancellationToken);
        var errors = await InstalledUnit.ErrorsOnceLoggedAsync(mark, "giving up", cancellationToken);
        log.Write("journalctl -u virtual-media -p err:\n" + string.Join('\n', errors));
        if (errors.Length == 0)
        {
            log.Write("the unit's last lines with their priority:\n" + await InstalledUnit.PrioritiesAsync(cancellationToken));
        }

        Check(errors.Length == 1 && errors[0].Contains(Stick, StringComparison.Ordinal) && errors[0].Contains("giving up", StringComparison.Ordinal),
            "the journal's err lines are not the one line of the ejection");

        await nginx.RestartAsync(cancellationToken);
        mark = await InstalledUnit.ErrorMarkAsync(cancellationToken);
        await MountReadEjectAsync(log, Stick, image, Mount, cancellationToken);
        await CheckNoErrorsAsync(mark, cancellationToken);
    }

    // A read-write stick: what the host writes lands in the image file, and Stats.WriteIO counts it.
    private static async Task ReadWriteStickKeepsTheHostsWrites(CaseLog log, CancellationToken cancellationToken)
    {
        var mark = await InstalledUnit.ErrorMarkAsync(cancellationToken);
        var image = Path.Combine(InstalledImages.Directory, "writable.img");
        await WriteImageAsync(image, cancellationToken);
        var path = SystemBusClient.Legacy(Stick);
        var udc = await MountAndReadAsync(log, Stick, image, ct => Client.MountAsync(Stick, "file://" + image, true, string.Empty, string.Empty, ct), cancellationToken);
        Check(!(bool)await Client.GetAsync(path, "MountPoint", "WriteProtected", cancellationToken), "the stick is write-protected");
        var disk = HostDisk.Find(udc, "sd") ?? throw new CaseFailedException("the host's disk is gone");
        var pattern = new byte[64 * 1024];
        Random.Shared.NextBytes(pattern);
        const long Offset = 1 << 20;
        var error = await HostReads.DirectWriteErrorAsync(disk, Offset, pattern, cancellationToken);
        Check(error.Length == 0, $"the host's write failed: {error}");
        var writes = await CounterAsync(path, "WriteIO", cancellationToken);
        log.Write($"Stats.WriteIO {writes} after the host wrote {pattern.Length} bytes");
        Check(writes > 0, "Stats.WriteIO is 0 after the host wrote");

        Check(await Client.UnmountAsync(path, cancellationToken), "Unmount returned false");
        Check(await Client.NextCompletionAsync(path, cancellationToken) == 0, "Unmount's Completion is not 0");
        await SlotLeftovers.CheckNoneLeftAsync(Stick, "nbd3", udc, legacy: true, cancellationToken);
        var written = new byte[pattern.Length];
        await using (var file = File.OpenRead(image))
        {
            file.Seek(Offset, SeekOrigin.Begin);
            await file.ReadExactlyAsync(written, cancellationToken);
        }

        Check(written.AsSpan().SequenceEqual(pattern), "the image file does not hold what the host wrote");
        await CheckNoErrorsAsync(mark, cancellationToken);
    }

    // Runs last: restarts the service with a short InactivityTimeout; an active slot nobody reads is ejected.
    private static async Task IdleSlotIsEjected(CaseLog log, CancellationToken cancellationToken)
    {
        const int Seconds = 8;
        await File.WriteAllTextAsync(
            "/etc/virtual-media.json",
            InstalledImages.TestConfiguration(GuestNginx.CaDirectory).Replace("\"InactivityTimeout\": 1800", $"\"InactivityTimeout\": {Seconds}", StringComparison.Ordinal),
            cancellationToken);
        await InstalledUnit.SystemctlAsync(cancellationToken, "restart", InstalledUnit.Name);
        var image = Path.Combine(InstalledImages.Directory, "file.img");
        var path = SystemBusClient.Legacy(Stick);
        var udc = await MountAndReadAsync(log, Stick, image, ct => Client.MountAsync(Stick, "file://" + image, false, string.Empty, string.Empty, ct), cancellationToken);
        var remaining = (ushort)await Client.GetAsync(path, "MountPoint", "RemainingInactivityTimeout", cancellationToken);
        log.Write($"RemainingInactivityTimeout {remaining} s right after the read");
        Check(remaining is > 0 and <= Seconds, $"RemainingInactivityTimeout is {remaining}, expected 1..{Seconds}");
        // An ejection nobody asked for sends no Completion: the host's disk going away is the event.
        var disk = HostDisk.Find(udc, "sd") ?? throw new CaseFailedException("the host's disk is gone before the timeout");
        var clock = Stopwatch.StartNew();
        await HostDisk.WaitGoneAsync(disk, cancellationToken);
        log.Write($"the host's disk is gone {clock.ElapsedMilliseconds} ms after the last read");
        while ((bool)await Client.GetAsync(path, "Process", "Active", cancellationToken))
        {
            await Task.Delay(100, cancellationToken); // the slot turns inactive once the NBD client has ended
        }

        log.Write($"the slot is inactive {clock.ElapsedMilliseconds} ms after the last read");
        await SlotLeftovers.CheckNoneLeftAsync(Stick, "nbd3", udc, legacy: true, cancellationToken);
    }

    // Set over D-Bus as an operator would with busctl; the copy lands in the unit's StateDirectory (ImageDirectory), the
    // host reads the whole disk after nginx is killed, and Unmount leaves no copy behind.
    private static async Task UploadedImageOutlivesItsServer(CaseLog log, CancellationToken cancellationToken)
    {
        var nginx = _nginx ?? throw new CaseFailedException("nginx did not start (TestConfigurationTakesOverOnRestart)");
        var image = Path.Combine(GuestNginx.Root, "upload.img");
        await WriteImageAsync(image, cancellationToken, LargeImageSize);
        var path = SystemBusClient.Legacy(Stick);
        var mark = await InstalledUnit.ErrorMarkAsync(cancellationToken);
        await Client.SetStringAsync(path, "Transfer", "Method", "Upload", cancellationToken);
        var killed = false;
        try
        {
            var clock = Stopwatch.StartNew();
            Check(await Client.MountAsync(Stick, GuestNginx.PrivateUrl("upload.img"), false, GuestNginx.User, GuestNginx.Password, cancellationToken), "Mount returned false");
            Check(await Client.NextCompletionAsync(path, cancellationToken) == 0, "Mount's Completion is not 0");
            while (!(bool)await Client.GetAsync(path, "Transfer", "Complete", cancellationToken))
            {
                await Task.Delay(100, cancellationToken);
            }

            log.Write($"copy complete {clock.ElapsedMilliseconds} ms after Mount; copies: {string.Join(", ", Copies())}");
            Check(Copies().Length == 1, "not one copy in the image directory");
            await nginx.KillAsync();
            killed = true;

            var udc = SlotLeftovers.Udc(Stick);
            var disk = await HostDisk.WaitForAsync(udc, "sd", cancellationToken);
            var host = await HostDisk.ReadAllAsync(disk, cancellationToken);
            var expected = await HostDisk.Sha256Async(image, cancellationToken);
            Check(host == expected, $"with the server dead the host's /dev/{disk} reads {host}, the image is {expected}");
            log.Write($"the host read all of /dev/{disk} with the server dead: sha256 matches");
            Check((bool)await Client.GetAsync(path, "Process", "Active", cancellationToken), "the slot is not Active");

            Check(await Client.UnmountAsync(path, cancellationToken), "Unmount returned false");
            Check(await Client.NextCompletionAsync(path, cancellationToken) == 0, "Unmount's Completion is not 0");
            await SlotLeftovers.CheckNoneLeftAsync(Stick, "nbd3", udc, legacy: true, cancellationToken);
            Check(Copies().Length == 0, "Unmount left the copy behind");
            await CheckNoErrorsAsync(mark, cancellationToken);
        }
        finally
        {
            await Client.SetStringAsync(path, "Transfer", "Method", "Stream", CancellationToken.None);
            if (killed)
            {
                await nginx.RestartAsync(CancellationToken.None);
            }
        }
    }

    private static string[] Copies() => Directory.GetFiles(InstalledImages.Directory, ".upload-*");
}
