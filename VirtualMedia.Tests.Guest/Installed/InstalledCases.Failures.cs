using System.Diagnostics;
using VirtualMedia.Tests.Guest.Gadget;
using VirtualMedia.Tests.Guest.Runner;
using static VirtualMedia.Tests.Guest.Runner.Checks;

namespace VirtualMedia.Tests.Guest.Installed;

/// <summary>The installed service when things go wrong: the image server dies, the host stops reading.</summary>
internal static partial class InstalledCases
{
    /// <summary>Larger than the slot's read-ahead cache (16 MiB), so that the end of it is still on the server when it dies.</summary>
    private const int LargeImageSize = 24 << 20;

    // The host must see I/O errors, not a hang, and the slot must still eject cleanly.
    private static async Task ImageServerKilledMidReadGivesIoErrors(CaseLog log, CancellationToken cancellationToken)
    {
        var nginx = _nginx ?? throw new CaseFailedException("nginx did not start (TestConfigurationTakesOverOnRestart)");
        var image = Path.Combine(GuestNginx.Root, "large.img");
        await WriteImageAsync(image, cancellationToken, LargeImageSize);
        var path = SystemBusClient.Legacy(Stick);
        Check(await Client.MountAsync(Stick, GuestNginx.PrivateUrl("large.img"), false, GuestNginx.User, GuestNginx.Password, cancellationToken), "Mount returned false");
        Check(await Client.NextCompletionAsync(path, cancellationToken) == 0, "Mount's Completion is not 0");
        var udc = SlotLeftovers.Udc(Stick);
        var disk = await HostDisk.WaitForAsync(udc, "sd", cancellationToken);
        await HostReads.FirstBlockAsync(disk, cancellationToken);
        var readsBefore = (ulong)await Client.GetAsync(path, "Stats", "ReadIO", cancellationToken);

        await nginx.KillAsync();
        var clock = Stopwatch.StartNew();
        var error = await HostReads.DirectReadErrorAsync(disk, LargeImageSize - 4096, cancellationToken);
        log.Write($"the host's read of the image's last block failed {clock.ElapsedMilliseconds} ms after the server died: {error}");
        Check(error.Length > 0, "the host read the last block although the server was dead");
        var readsAfter = (ulong)await Client.GetAsync(path, "Stats", "ReadIO", cancellationToken);
        log.Write($"Stats.ReadIO {readsBefore} -> {readsAfter}");
        Check(readsAfter > readsBefore, "Stats.ReadIO did not move while the host read");

        await nginx.RestartAsync(cancellationToken);
        Check(await Client.UnmountAsync(path, cancellationToken), "Unmount returned false");
        Check(await Client.NextCompletionAsync(path, cancellationToken) == 0, "Unmount's Completion is not 0");
        await SlotLeftovers.CheckNoneLeftAsync(Stick, "nbd3", udc, legacy: true, cancellationToken);
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
}
