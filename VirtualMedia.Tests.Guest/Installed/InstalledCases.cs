using System.Diagnostics;
using VirtualMedia.Nbd;
using VirtualMedia.Nbd.Sources;
using VirtualMedia.Tests.Guest.Gadget;
using VirtualMedia.Tests.Guest.Runner;
using static VirtualMedia.Tests.Guest.Runner.Checks;

namespace VirtualMedia.Tests.Guest.Installed;

/// <summary>
/// The product as installed (scripts/install) on a real kernel, under systemd as PID 1: the native binary
/// started by systemd from the shipped unit (Type=notify, every hardening line), called on the system bus
/// as bmcweb calls it; each flow checks the host's disk by sha256 and that nothing is left afterwards.
/// </summary>
internal static partial class InstalledCases
{
    private const string Cd = "Slot_2";
    private const string Stick = "Slot_3";
    private const string ProxySlot = "Slot_0";
    private static SystemBusClient? _client;
    private static GuestNginx? _nginx;

    /// <summary>Every case, in order: each later one relies on the configuration the second one placed.</summary>
    /// <remarks>Each timed flow prints a <c>VM-FLOW</c> line: Mount call to reply, to Completion, to the host's disk readable.</remarks>
    public static IReadOnlyList<GuestCase> All { get; } =
    [
        WithJournal("InstalledUnitStartsWithTheDefaultSlots", InstalledUnitStartsWithTheDefaultSlots),
        WithJournal("TestConfigurationTakesOverOnRestart", TestConfigurationTakesOverOnRestart),
        WithJournal("HttpsCdWithCredentials", (log, ct) => HttpsWithCredentialsAsync(Cd, "cd.iso", heldOpen: false, log, ct)),
        WithJournal("HttpsStickWithCredentials", (log, ct) => HttpsWithCredentialsAsync(Stick, "stick.img", heldOpen: false, log, ct)),
        WithJournal("HttpsCdWithTheWriteEndHeldOpen", (log, ct) => HttpsWithCredentialsAsync(Cd, "cd.iso", heldOpen: true, log, ct)),
        WithJournal("HttpsStickWithTheWriteEndHeldOpen", (log, ct) => HttpsWithCredentialsAsync(Stick, "stick.img", heldOpen: true, log, ct)),
        WithJournal("FileImageFromImageDirectory", FileImageFromImageDirectory),
        WithJournal("ReadWriteStickKeepsTheHostsWrites", ReadWriteStickKeepsTheHostsWrites),
        WithJournal("ProxySlotReadsWhatBmcwebServes", ProxySlotReadsWhatBmcwebServes),
        WithJournal("StopEjectsEveryActiveSlot", StopEjectsEveryActiveSlot),
        WithJournal("KilledServiceIsRestartedAndCleansUp", KilledServiceIsRestartedAndCleansUp),
        WithJournal("ImageServerKilledMidReadGivesIoErrors", ImageServerKilledMidReadGivesIoErrors),
        WithJournal("UploadedImageOutlivesItsServer", UploadedImageOutlivesItsServer),
        WithJournal("IdleSlotIsEjected", IdleSlotIsEjected),
    ];

    // A failed case's log ends with the unit's journal: what the service itself said. Then the media it left mounted are
    // ejected, so that the cases after it fail only for their own reasons (a stick left mounted failed the next four).
    private static GuestCase WithJournal(string name, Func<CaseLog, CancellationToken, Task> body) => new(name, async (log, cancellationToken) =>
    {
        try
        {
            await body(log, cancellationToken);
        }
        catch
        {
            log.Write("journal of virtual-media.service:\n" + await InstalledUnit.JournalAsync(CancellationToken.None));
            await EjectLeftoversAsync(log);
            throw;
        }
    });

    private static async Task EjectLeftoversAsync(CaseLog log)
    {
        if (_client is null)
        {
            return;
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            foreach (var path in await _client.ManagedObjectsAsync(timeout.Token))
            {
                if ((bool)await _client.GetAsync(path, "Process", "Active", timeout.Token))
                {
                    log.Write($"ejecting what the case left mounted: {path}");
                    await _client.UnmountAsync(path, timeout.Token);
                    await _client.NextCompletionAsync(path, timeout.Token);
                }
            }
        }
        catch (Exception e)
        {
            log.Write($"could not eject what the case left mounted: {e.Message}");
        }
        finally
        {
            _client.ForgetCompletions();
        }
    }

    private static SystemBusClient Client => _client ?? throw new CaseFailedException("no bus client (the first cases failed)");

    private static async Task InstalledUnitStartsWithTheDefaultSlots(CaseLog log, CancellationToken cancellationToken)
    {
        var mark = await InstalledUnit.ErrorMarkAsync(cancellationToken);
        var clock = Stopwatch.StartNew();
        await InstalledUnit.SystemctlAsync(cancellationToken, "start", InstalledUnit.Name); // Type=notify: returns once READY=1
        log.Write($"systemctl start returned after {clock.ElapsedMilliseconds} ms (READY=1)");
        await using (var client = await SystemBusClient.ConnectAsync(cancellationToken))
        {
            var objects = await client.ManagedObjectsAsync(cancellationToken);
            string[] expected = [SystemBusClient.Legacy("Slot_2"), SystemBusClient.Legacy("Slot_3"), SystemBusClient.Proxy("Slot_0"), SystemBusClient.Proxy("Slot_1")];
            Check(objects.SequenceEqual(expected), $"GetManagedObjects lists {string.Join(", ", objects)}");
        }

        var pid = await InstalledUnit.PropertyAsync("MainPID", cancellationToken);
        Check(File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim() == "/usr/bin/virtual-media --config /etc/virtual-media.json", "not the installed binary");
        var status = File.ReadAllLines($"/proc/{pid}/status");
        Check(status.Contains("NoNewPrivs:\t1"), "NoNewPrivileges is not in effect");
        log.Write(string.Join(" | ", status.Where(l => l.StartsWith("Cap", StringComparison.Ordinal))));
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("the kernel VM runs Linux");
        }

        var runtime = File.GetUnixFileMode("/run/virtual-media");
        Check(runtime == (UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute), $"/run/virtual-media is {runtime}, not 0700 (tmpfiles.d)");
        await CheckNoErrorsAsync(mark, cancellationToken);
    }

    // The service reads its configuration where the unit says (/etc/virtual-media.json); the guest's /etc is an overlay, so the test's file goes there.
    private static async Task TestConfigurationTakesOverOnRestart(CaseLog log, CancellationToken cancellationToken)
    {
        _nginx = await GuestNginx.StartAsync(log, cancellationToken);
        await WriteImageAsync(Path.Combine(GuestNginx.Root, "cd.iso"), cancellationToken);
        await WriteImageAsync(Path.Combine(GuestNginx.Root, "stick.img"), cancellationToken);
        await WriteImageAsync(Path.Combine(InstalledImages.Directory, "file.img"), cancellationToken);
        await File.WriteAllTextAsync("/etc/virtual-media.json", InstalledImages.TestConfiguration(GuestNginx.CaDirectory), cancellationToken);
        await InstalledImages.EmptySystemTrustStoreAsync(cancellationToken);
        var mark = await InstalledUnit.ErrorMarkAsync(cancellationToken);
        await InstalledUnit.SystemctlAsync(cancellationToken, "restart", InstalledUnit.Name);
        _client = await SystemBusClient.ConnectAsync(cancellationToken);
        var objects = await Client.ManagedObjectsAsync(cancellationToken);
        Check(objects.Count == 3, $"GetManagedObjects lists {string.Join(", ", objects)}");
        await CheckNoErrorsAsync(mark, cancellationToken);
    }

    // heldOpen: as bmcweb until Feb 2025, Mount(sbv holding h) with the pipe's write end open until the reply arrives;
    // else as bmcweb since, Mount(sbh) with the write end closed.
    private static async Task HttpsWithCredentialsAsync(string slot, string file, bool heldOpen, CaseLog log, CancellationToken cancellationToken)
    {
        var mark = await InstalledUnit.ErrorMarkAsync(cancellationToken);
        await MountReadEjectAsync(
            log, slot, Path.Combine(GuestNginx.Root, file),
            ct => heldOpen
                ? Client.MountHoldingThePipeAsync(slot, GuestNginx.PrivateUrl(file), false, GuestNginx.User, GuestNginx.Password, ct)
                : Client.MountAsync(slot, GuestNginx.PrivateUrl(file), false, GuestNginx.User, GuestNginx.Password, ct),
            cancellationToken);
        await CheckNoErrorsAsync(mark, cancellationToken);
    }

    private static async Task FileImageFromImageDirectory(CaseLog log, CancellationToken cancellationToken)
    {
        var mark = await InstalledUnit.ErrorMarkAsync(cancellationToken);
        var image = Path.Combine(InstalledImages.Directory, "file.img");
        await MountReadEjectAsync(log, Stick, image, ct => Client.MountAsync(Stick, "file://" + image, false, string.Empty, string.Empty, ct), cancellationToken);
        await CheckNoErrorsAsync(mark, cancellationToken);
    }

    // bmcweb listens on the slot's Socket with the browser's NBD server behind it, then calls Proxy.Mount.
    private static async Task ProxySlotReadsWhatBmcwebServes(CaseLog log, CancellationToken cancellationToken)
    {
        var mark = await InstalledUnit.ErrorMarkAsync(cancellationToken);
        var image = "/run/vm-guest/proxy.img";
        await WriteImageAsync(image, cancellationToken);
        var socket = (string)await Client.GetAsync(SystemBusClient.Proxy(ProxySlot), "MountPoint", "Socket", cancellationToken);
        await using (var source = FileImageSource.Open(image, writable: false))
        await using (NbdUnixListener.Start(new NbdServer(new NbdExport(source)), socket))
        {
            await MountReadEjectAsync(log, ProxySlot, image, ct => Client.ProxyMountAsync(ProxySlot, ct), cancellationToken);
        }

        await CheckNoErrorsAsync(mark, cancellationToken);
    }

    private static async Task StopEjectsEveryActiveSlot(CaseLog log, CancellationToken cancellationToken)
    {
        var mark = await InstalledUnit.ErrorMarkAsync(cancellationToken);
        var cd = await MountAndReadAsync(log, Cd, Path.Combine(GuestNginx.Root, "cd.iso"),
            ct => Client.MountAsync(Cd, GuestNginx.PrivateUrl("cd.iso"), false, GuestNginx.User, GuestNginx.Password, ct), cancellationToken);
        var stick = await MountAndReadAsync(log, Stick, Path.Combine(GuestNginx.Root, "stick.img"),
            ct => Client.MountAsync(Stick, GuestNginx.PrivateUrl("stick.img"), false, GuestNginx.User, GuestNginx.Password, ct), cancellationToken);

        var clock = Stopwatch.StartNew();
        await InstalledUnit.SystemctlAsync(cancellationToken, "stop", InstalledUnit.Name);
        log.Write($"systemctl stop with two active slots took {clock.ElapsedMilliseconds} ms");
        var status = await InstalledUnit.PropertyAsync("ExecMainStatus", cancellationToken);
        var result = await InstalledUnit.PropertyAsync("Result", cancellationToken);
        Check(status == "0" && result == "success", $"the service ended with status {status}, result {result}");
        await SlotLeftovers.CheckNoneLeftAsync(Cd, "nbd2", cd, legacy: true, cancellationToken);
        await SlotLeftovers.CheckNoneLeftAsync(Stick, "nbd3", stick, legacy: true, cancellationToken);
        await CheckNoErrorsAsync(mark, cancellationToken);
        await InstalledUnit.SystemctlAsync(cancellationToken, "start", InstalledUnit.Name);
    }

    // systemd restarts it (Restart=always); the new process finds the old one's gadget, NBD device and socket and removes them.
    private static async Task KilledServiceIsRestartedAndCleansUp(CaseLog log, CancellationToken cancellationToken)
    {
        var image = Path.Combine(GuestNginx.Root, "stick.img");
        Task<bool> Mount(CancellationToken ct) => Client.MountAsync(Stick, GuestNginx.PrivateUrl("stick.img"), false, GuestNginx.User, GuestNginx.Password, ct);
        var udc = await MountAndReadAsync(log, Stick, image, Mount, cancellationToken);
        var pid = await InstalledUnit.PropertyAsync("MainPID", cancellationToken);
        var restarts = await InstalledUnit.PropertyAsync("NRestarts", cancellationToken);
        await InstalledUnit.SystemctlAsync(cancellationToken, "kill", "-s", "KILL", InstalledUnit.Name);
        var clock = Stopwatch.StartNew();
        var newPid = await InstalledUnit.WaitRestartedAsync(pid, cancellationToken);
        log.Write($"restarted as pid {newPid} {clock.ElapsedMilliseconds} ms after SIGKILL");
        Check(await InstalledUnit.PropertyAsync("NRestarts", cancellationToken) != restarts, "NRestarts did not change");
        await SlotLeftovers.CheckNoneLeftAsync(Stick, "nbd3", udc, legacy: true, cancellationToken);
        log.Write($"stale gadget, NBD device and socket removed {clock.ElapsedMilliseconds} ms after SIGKILL");
        await MountReadEjectAsync(log, Stick, image, Mount, cancellationToken);
    }

    /// <summary>Mounts, checks the host's disk by sha256, ejects and checks that nothing is left.</summary>
    private static async Task MountReadEjectAsync(CaseLog log, string slot, string image, Func<CancellationToken, Task<bool>> mount, CancellationToken cancellationToken)
    {
        var udc = await MountAndReadAsync(log, slot, image, mount, cancellationToken);
        var path = image.StartsWith("/run/vm-guest/proxy", StringComparison.Ordinal) ? SystemBusClient.Proxy(slot) : SystemBusClient.Legacy(slot);
        Check(await Client.UnmountAsync(path, cancellationToken), "Unmount returned false");
        var completion = await Client.NextCompletionAsync(path, cancellationToken);
        Check(completion == 0, $"Unmount's Completion is {completion}");
        Check(!(bool)await Client.GetAsync(path, "Process", "Active", cancellationToken), "the slot is still Active");
        await SlotLeftovers.CheckNoneLeftAsync(slot, InstalledImages.NbdOf(slot), udc, path.Contains("/Legacy/", StringComparison.Ordinal), cancellationToken);
    }

    /// <summary>Mounts; checks the host's disk (sdX for a stick, srN for a CD) holds the image; returns the gadget's UDC.</summary>
    private static async Task<string> MountAndReadAsync(CaseLog log, string slot, string image, Func<CancellationToken, Task<bool>> mount, CancellationToken cancellationToken)
    {
        var path = slot == ProxySlot ? SystemBusClient.Proxy(slot) : SystemBusClient.Legacy(slot);
        var prefix = slot == Cd ? "sr" : "sd";
        var clock = Stopwatch.StartNew();
        Check(await mount(cancellationToken), "Mount returned false");
        var accepted = clock.ElapsedMilliseconds;
        var completion = await Client.NextCompletionAsync(path, cancellationToken);
        Check(completion == 0, $"Completion {completion}");
        var completed = clock.ElapsedMilliseconds;
        var udc = SlotLeftovers.Udc(slot);
        var disk = await HostDisk.WaitForAsync(udc, prefix, cancellationToken);
        await HostReads.FirstBlockAsync(disk, cancellationToken);
        var readable = clock.ElapsedMilliseconds;
        var host = await HostDisk.ReadAllAsync(disk, cancellationToken);
        var expected = await HostDisk.Sha256Async(image, cancellationToken);
        Check(host == expected, $"the host's /dev/{disk} reads {host}, the image is {expected}");
        var line = $"VM-FLOW {slot} {Path.GetFileName(image)} -> /dev/{disk}: Mount reply {accepted} ms, Completion {completed} ms, " +
            $"host disk readable {readable} ms, whole image read by {clock.ElapsedMilliseconds} ms";
        log.Write(line);
        Console.WriteLine(line);
        Check((bool)await Client.GetAsync(path, "Process", "Active", cancellationToken), "the slot is not Active");
        var reads = await CounterAsync(path, "ReadIO", cancellationToken);
        Check(reads > 0, "Stats.ReadIO is 0 after the host read the whole image");
        return udc;
    }

    /// <summary>A Stats counter once it is non-zero, or 0 after a few of the service's ticks: it reads the device's
    /// counters once a second, so I/O that just ended may not be counted yet.</summary>
    private static async Task<ulong> CounterAsync(string path, string counter, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var value = (ulong)await Client.GetAsync(path, "Stats", counter, cancellationToken);
            if (value > 0 || clock.Elapsed > TimeSpan.FromSeconds(3))
            {
                return value;
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    private static async Task CheckNoErrorsAsync(int mark, CancellationToken cancellationToken)
    {
        var errors = await InstalledUnit.ErrorsSinceAsync(mark, cancellationToken);
        Check(errors.Length == 0, $"journalctl -u virtual-media -p err shows:\n{string.Join('\n', errors)}");
    }

    private static async Task WriteImageAsync(string path, CancellationToken cancellationToken, int size = InstalledImages.Size)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var bytes = new byte[size];
        Random.Shared.NextBytes(bytes);
        await File.WriteAllBytesAsync(path, bytes, cancellationToken);
    }
}
