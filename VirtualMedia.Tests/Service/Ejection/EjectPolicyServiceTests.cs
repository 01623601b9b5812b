using VirtualMedia.DBus;
using VirtualMedia.Nbd;
using VirtualMedia.Nbd.Sources;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.Service.Ejection;

/// <summary>
/// The eject policies and the event log entries of the real service process, with a stand-in chassis-state service
/// and a stand-in phosphor-logging on the private bus.
/// </summary>
[NonParallelizable]
public sealed class EjectPolicyServiceTests
{
    private const string EjectPolicy = ServiceRig.Name + ".EjectPolicy";
    private const string Informational = "xyz.openbmc_project.Logging.Entry.Level.Informational";
    private const string Error = "xyz.openbmc_project.Logging.Entry.Level.Error";
    private static readonly TimeSpan EntryWait = Patience.Scale(TimeSpan.FromSeconds(20));
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(2);

    // Seconds a timed slot keeps its media: a few, stretched under qemu so the countdown is still seen.
    private static readonly int TimedSeconds = (int)Math.Ceiling(3 * Patience.Factor);

    [Test]
    public async Task A_timed_slot_counts_down_and_is_ejected_after_its_EjectTimeout_with_one_informational_entry()
    {
        await using var rig = await ServiceRig.StartAsync(r => ServiceRig.StandardConfig(
            r, slotExtra: i => i == 3 ? $"\"EjectPolicy\": \"Timed\", \"EjectTimeout\": {TimedSeconds}" : null));
        await using var logging = await PhosphorLoggingStandIn.StartAsync(rig.Bus.Address);
        var path = ServiceRig.LegacyPath(3);
        var image = DiskImage(rig);
        (await rig.GetAsync(path, EjectPolicy, "Policy")).Should().Be("Timed");
        (await rig.GetAsync(path, EjectPolicy, "EjectTimeout")).Should().Be((ushort)TimedSeconds);
        (await rig.GetAsync(path, EjectPolicy, "RemainingEjectTimeout")).Should().Be((ushort)0, "nothing is inserted");

        (await rig.MountWithIntAsync(path, image, false)).Should().BeTrue();
        rig.NextCompletion(path).Should().Be(0);
        ((ushort)await rig.GetAsync(path, EjectPolicy, "RemainingEjectTimeout")).Should().BeInRange(1, (ushort)TimedSeconds);
        await Wait.UntilAsync(async () => !await rig.IsActiveAsync(path), TimeSpan.FromSeconds(15), "the timed eject");

        var entry = logging.Next(EntryWait);
        entry.Should().NotBeNull(rig.Service.Output);
        entry!.Severity.Should().Be(Informational);
        entry.Message.Should().Contain("Slot_3").And.Contain(image).And.Contain("Timed");
        entry.Data.Should().Contain(new Dictionary<string, string> { ["SLOT"] = "Slot_3", ["URL"] = image, ["ERRNO"] = "0", ["REASON"] = "TimedEject" });
        logging.Next(Quiet).Should().BeNull("one ejection is one entry");
        await rig.ExpectReadyOwingNoCompletionAsync(path);
        rig.Changes.Count(c => c.Path == path && c.Interface == EjectPolicy && c.Names.Contains("RemainingEjectTimeout")).Should().BeGreaterThanOrEqualTo(2);
        (await rig.GetAsync(path, EjectPolicy, "RemainingEjectTimeout")).Should().Be((ushort)0);
        await UntilLoggedAsync(rig, l => l.StartsWith($"<6>Slot_3: {TimedSeconds} s since it was inserted (EjectPolicy Timed): ejecting", StringComparison.Ordinal));
    }

    [Test]
    public async Task An_OnPowerOff_slot_follows_the_chassis_power_and_is_ejected_when_it_turns_off()
    {
        await using var rig = await StartWithAnOnPowerOffSlotAsync();
        await using var chassis = await ChassisStateStandIn.StartAsync(rig.Bus.Address, ChassisStateStandIn.On);
        await using var logging = await PhosphorLoggingStandIn.StartAsync(rig.Bus.Address);
        var path = ServiceRig.LegacyPath(2);
        var image = DiskImage(rig);
        (await rig.GetAsync(path, EjectPolicy, "Policy")).Should().Be("OnPowerOff");
        (await rig.MountWithIntAsync(path, image, false)).Should().BeTrue();
        rig.NextCompletion(path).Should().Be(0);

        chassis.SetPower("xyz.openbmc_project.State.Chassis.PowerState.TransitioningToOff");
        await SendLookAlikePowerOffAsync(rig);
        await Task.Delay(Quiet);
        (await rig.IsActiveAsync(path)).Should().BeTrue("only the chassis service's own Off counts");
        chassis.SetPower(ChassisStateStandIn.Off);

        await Wait.UntilAsync(async () => !await rig.IsActiveAsync(path), TimeSpan.FromSeconds(15), "the power-off eject");
        var entry = logging.Next(EntryWait);
        entry.Should().NotBeNull(rig.Service.Output);
        entry!.Severity.Should().Be(Informational);
        entry.Message.Should().Contain("Slot_2").And.Contain(image).And.Contain("powered off");
        entry.Data.Should().Contain(new Dictionary<string, string> { ["SLOT"] = "Slot_2", ["URL"] = image, ["ERRNO"] = "0", ["REASON"] = "PowerOffEject" });
        await UntilLoggedAsync(rig, l => l.StartsWith("<6>Slot_2: the host powered off (EjectPolicy OnPowerOff): ejecting", StringComparison.Ordinal));
        (await rig.IsActiveAsync(ServiceRig.LegacyPath(3))).Should().BeFalse();

        // Powered off, the slot takes media again (for the next power-on) and the next Off ejects it again.
        chassis.SetPower(ChassisStateStandIn.On);
        (await rig.MountWithIntAsync(path, image, false)).Should().BeTrue();
        rig.NextCompletion(path).Should().Be(0);
        chassis.SetPower(ChassisStateStandIn.Off);
        await Wait.UntilAsync(async () => !await rig.IsActiveAsync(path), TimeSpan.FromSeconds(15), "the second power-off eject");
        logging.Next(EntryWait)!.Data["REASON"].Should().Be("PowerOffEject");
    }

    // The host powers off while its media is still being mounted (between Mount's true and its Completion): the media
    // is ejected once it is in, not left for the next power-off.
    [Test]
    public async Task An_OnPowerOff_slot_whose_host_powers_off_while_mounting_is_ejected_once_mounted()
    {
        await using var rig = await StartWithAnOnPowerOffSlotAsync();
        await using var chassis = await ChassisStateStandIn.StartAsync(rig.Bus.Address, ChassisStateStandIn.On);
        await using var logging = await PhosphorLoggingStandIn.StartAsync(rig.Bus.Address);
        var path = ServiceRig.LegacyPath(2);
        var image = DiskImage(rig);

        (await rig.MountWithIntAsync(path, image, false)).Should().BeTrue();
        chassis.SetPower(ChassisStateStandIn.Off);

        rig.NextCompletion(path).Should().Be(0, "the mount itself succeeded");
        await Wait.UntilAsync(async () => !await rig.IsActiveAsync(path), TimeSpan.FromSeconds(15), "the power-off eject");
        logging.Next(EntryWait)!.Data["REASON"].Should().Be("PowerOffEject");
        logging.Next(Quiet).Should().BeNull("one ejection is one entry");
    }

    [Test]
    public async Task An_OnPowerOff_mount_without_a_chassis_state_service_is_refused_with_ENOTSUP_and_says_why()
    {
        await using var rig = await StartWithAnOnPowerOffSlotAsync();
        await using var logging = await PhosphorLoggingStandIn.StartAsync(rig.Bus.Address);
        var path = ServiceRig.LegacyPath(2);
        var image = DiskImage(rig);

        var mount = () => rig.MountWithIntAsync(path, image, false);

        var error = (await mount.Should().ThrowAsync<DBusErrorException>()).Which;
        error.ErrorName.Should().Be("org.freedesktop.DBus.Error.NotSupported");
        error.Message.Should().Contain("xyz.openbmc_project.State.Chassis");
        await UntilLoggedAsync(rig, l => l.StartsWith("<3>Slot_2: mount of", StringComparison.Ordinal)
            && l.Contains("no chassis state service", StringComparison.Ordinal));
        (await rig.IsActiveAsync(path)).Should().BeFalse();
        await rig.ExpectReadyOwingNoCompletionAsync(path);
        logging.Next(Quiet).Should().BeNull("a Mount refused before true is the caller's error, not an event");
    }

    [Test]
    public async Task The_operators_own_Unmount_creates_no_entry()
    {
        await using var rig = await ServiceRig.StartAsync(r => ServiceRig.StandardConfig(
            r, slotExtra: i => i == 3 ? "\"EjectPolicy\": \"Timed\", \"EjectTimeout\": 2" : null));
        await using var logging = await PhosphorLoggingStandIn.StartAsync(rig.Bus.Address);
        var image = DiskImage(rig);
        (await rig.MountWithIntAsync(ServiceRig.LegacyPath(2), image, false)).Should().BeTrue();
        rig.NextCompletion(ServiceRig.LegacyPath(2)).Should().Be(0);

        (await rig.UnmountAsync(ServiceRig.LegacyPath(2))).Should().BeTrue();
        rig.NextCompletion(ServiceRig.LegacyPath(2)).Should().Be(0);

        logging.Next(Quiet).Should().BeNull("the operator asked for it");
        // The same rig does create an entry for what the operator did not ask for.
        (await rig.MountWithIntAsync(ServiceRig.LegacyPath(3), image, false)).Should().BeTrue();
        rig.NextCompletion(ServiceRig.LegacyPath(3)).Should().Be(0);
        logging.Next(EntryWait)!.Data["SLOT"].Should().Be("Slot_3");
    }

    [Test]
    public async Task An_NBD_client_that_ends_on_its_own_is_an_error_entry()
    {
        await using var rig = await ServiceRig.StartAsync();
        await using var logging = await PhosphorLoggingStandIn.StartAsync(rig.Bus.Address);
        var path = ServiceRig.ProxyPath(0);
        var socket = (string)await rig.GetAsync(path, ServiceRig.MountPoint, "Socket");
        (await rig.GetAsync(path, EjectPolicy, "Policy")).Should().Be("Session");
        var image = ServiceRig.WriteImage(rig.ImageDirectory, "disk.img", 1024 * 1024);
        await using (var source = FileImageSource.Open(image, writable: false))
        {
            await using var browser = NbdUnixListener.Start(new NbdServer(new NbdExport(source)), socket);
            (await rig.ProxyMountAsync(path)).Should().BeTrue();
            rig.NextCompletion(path).Should().Be(0);
        }

        // The browser is gone: the host's next read fails and the NBD client ends.
        var read = () => rig.HostViewSha256Async("nbd0");
        await read.Should().ThrowAsync<Exception>();

        await Wait.UntilAsync(async () => !await rig.IsActiveAsync(path), TimeSpan.FromSeconds(15), "the eject after the client ended");
        var entry = logging.Next(EntryWait);
        entry.Should().NotBeNull(rig.Service.Output);
        entry!.Severity.Should().Be(Error);
        entry.Message.Should().Contain("Slot_0").And.Contain("the NBD client ended").And.Contain("Input/output error");
        entry.Data.Should().Contain(new Dictionary<string, string> { ["SLOT"] = "Slot_0", ["URL"] = socket, ["ERRNO"] = "5", ["REASON"] = "ClientExited" });
    }

    [Test]
    public async Task A_mount_that_fails_after_answering_true_is_an_error_entry_with_the_Completions_errno()
    {
        await using var rig = await ServiceRig.StartAsync(r => ServiceRig.StandardConfig(r, timeout: 3));
        await using var logging = await PhosphorLoggingStandIn.StartAsync(rig.Bus.Address);
        var path = ServiceRig.ProxyPath(1);
        var socket = (string)await rig.GetAsync(path, ServiceRig.MountPoint, "Socket");

        (await rig.ProxyMountAsync(path)).Should().BeTrue("no bmcweb listens, which only the NBD client finds out");
        var completion = rig.NextCompletion(path);

        completion.Should().NotBe(0);
        var entry = logging.Next(EntryWait);
        entry.Should().NotBeNull(rig.Service.Output);
        entry!.Severity.Should().Be(Error);
        entry.Message.Should().StartWith($"Virtual media Slot_1: mounting {socket} failed");
        entry.Data.Should().Contain(new Dictionary<string, string>
        {
            ["SLOT"] = "Slot_1",
            ["URL"] = socket,
            ["ERRNO"] = completion.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["REASON"] = "MountFailed",
        });
        logging.Next(Quiet).Should().BeNull("one failure is one entry");
    }

    [TestCase(false, "ServiceUnknown")]
    [TestCase(true, "no reply to D-Bus call Create in time")]
    public async Task Without_a_logging_service_or_with_a_hung_one_ejections_happen_on_time_the_journal_says_so_once_and_the_slot_is_usable_at_once(
        bool hung, string reason)
    {
        await using var rig = await ServiceRig.StartAsync(r => ServiceRig.StandardConfig(
            r, "\"InactivityTimeout\": 2", slotExtra: i => i == 3 ? "\"EjectPolicy\": \"Timed\", \"EjectTimeout\": 60" : null));
        await using var logging = hung ? await PhosphorLoggingStandIn.StartAsync(rig.Bus.Address, silent: true) : null;
        var path = ServiceRig.LegacyPath(3);
        var image = DiskImage(rig);

        for (var round = 0; round < 2; round++)
        {
            (await rig.MountWithIntAsync(path, image, false)).Should().BeTrue();
            rig.NextCompletion(path).Should().Be(0);
            await Wait.UntilAsync(async () => !await rig.IsActiveAsync(path), TimeSpan.FromSeconds(10), "the inactivity eject");
        }

        await UntilLoggedAsync(rig, l => l.StartsWith("<4>Slot_3: no I/O", StringComparison.Ordinal), count: 2);
        await UntilLoggedAsync(rig, l => l.Contains("cannot create an event log entry", StringComparison.Ordinal), within: TimeSpan.FromSeconds(15));
        rig.Service.Lines.Where(l => l.Contains("cannot create an event log entry", StringComparison.Ordinal)).Should()
            .ContainSingle("said once, not per event").Which.Should().StartWith("<4>").And.Contain(reason);
    }

    /// <summary>Waits until the service has written <paramref name="count"/> lines matching <paramref name="line"/>
    /// (a line is written before what it tells is seen on the bus, but read from the service's stdout in its own time).</summary>
    private static Task UntilLoggedAsync(ServiceRig rig, Func<string, bool> line, int count = 1, TimeSpan? within = null) =>
        Wait.UntilAsync(
            () => Task.FromResult(rig.Service.Lines.Count(line) >= count), within ?? TimeSpan.FromSeconds(5), () => $"the log line\n{rig.Service.Output}");

    /// <summary>Another bus client sends a chassis PropertiesChanged saying Off straight to the service.</summary>
    private static async Task SendLookAlikePowerOffAsync(ServiceRig rig)
    {
        using var ownerQuery = MessageBody.Create("s");
        ownerQuery.WriteString(ServiceRig.Name);
        using var reply = await rig.Client.CallMethodAsync(
            "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetNameOwner", ownerQuery, ServiceRig.CallTimeout);
        var service = reply.GetReader().ReadString();
        var body = MessageBody.Create("sa{sv}as");
        body.WriteString(ChassisStateStandIn.Name);
        DBusValue.Write(body, "a{sv}", new Dictionary<string, DBusVariant> { ["CurrentPowerState"] = new("s", ChassisStateStandIn.Off) });
        DBusValue.Write(body, "as", Array.Empty<string>());
        rig.Client.EmitSignal(ChassisStateStandIn.Path, "org.freedesktop.DBus.Properties", "PropertiesChanged", body, destination: service);
    }

    /// <summary>The service with Slot_2 under EjectPolicy OnPowerOff.</summary>
    private static Task<ServiceRig> StartWithAnOnPowerOffSlotAsync() =>
        ServiceRig.StartAsync(r => ServiceRig.StandardConfig(r, slotExtra: i => i == 2 ? "\"EjectPolicy\": \"OnPowerOff\"" : null));

    /// <summary>A 1 MiB image in the rig's image directory, as a file:// URL.</summary>
    private static string DiskImage(ServiceRig rig) => "file://" + ServiceRig.WriteImage(rig.ImageDirectory, "disk.img", 1024 * 1024);
}
