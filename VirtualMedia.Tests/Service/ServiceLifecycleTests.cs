using System.Net;
using System.Net.Sockets;
using System.Text;
using VirtualMedia.DBus;
using VirtualMedia.Nbd;
using VirtualMedia.Nbd.Sources;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.Service;

/// <summary>The service process's life: configuration errors, sd_notify, SIGTERM, crash and restart, inactivity, all slots at once.</summary>
[NonParallelizable]
public sealed class ServiceLifecycleTests
{
    private static readonly string[] Devices = ["nbd0", "nbd1", "nbd2", "nbd3"];

    [Test]
    public async Task A_configuration_error_is_logged_as_an_error_naming_file_slot_and_field_and_exits_non_zero()
    {
        using var directory = new TempDirectory();
        var file = directory.Combine("virtual-media.json");
        await File.WriteAllTextAsync(file, """
            { "MountPoints": { "Slot_1": { "Mode": 1, "NBDDevice": "nbd1", "UnixSocket": "/run/x.sock", "Timeout": "soon" } } }
            """);

        await using var service = ServiceProcess.Start(file, new Dictionary<string, string>());
        var exitCode = await service.WaitForExitAsync(TimeSpan.FromSeconds(30));

        exitCode.Should().Be(78);
        service.Lines.Should().ContainSingle(l => l.StartsWith("<3>", StringComparison.Ordinal))
            .Which.Should().Contain(file).And.Contain("slot Slot_1").And.Contain("field Timeout");
    }

    [Test]
    public async Task Version_is_printed()
    {
        var result = await ExternalProcess.RunAsync(ServiceProcess.Program, ["--version"]);

        result.ExitCode.Should().Be(0);
        result.StandardOutput.Should().StartWith("0.1.0");
    }

    [Test]
    public async Task READY_is_notified_only_once_the_objects_and_the_name_are_on_the_bus_and_SIGTERM_exits_0()
    {
        await using var bus = await DBusDaemon.StartAsync();
        using var directory = new TempDirectory();
        var notifyPath = directory.Combine("notify");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(notifyPath));
        await using var observer = await DBusConnection.ConnectAsync(bus.Address);
        var config = directory.Combine("vm.json");
        await File.WriteAllTextAsync(config, $$"""{"Sandbox": "{{directory.Combine("sandbox")}}", "ProxyMountPoints": 1, "LegacyMountPoints": 1}""");
        var environment = new Dictionary<string, string>(bus.Environment) { ["NOTIFY_SOCKET"] = notifyPath };

        await using var service = ServiceProcess.Start(config, environment);
        var first = await ReceiveAsync(notify);
        // What a client finds the moment systemd would report the unit started:
        using (var reply = await observer.CallMethodAsync(
            ServiceRig.Name, ServiceRig.Root, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", null, ServiceRig.CallTimeout))
        {
            var objects = (Dictionary<object, object>)reply.GetReader().ReadValue("a{oa{sa{sv}}}");
            objects.Keys.Cast<string>().Should().BeEquivalentTo(ServiceRig.ProxyPath(0), ServiceRig.LegacyPath(1));
        }

        first.Should().Contain("READY=1");
        var exitCode = await service.TerminateAsync();
        exitCode.Should().Be(0);
        (await ReceiveAsync(notify)).Should().Contain("STOPPING=1");
    }

    [Test]
    public async Task SIGTERM_ejects_every_active_slot_cleanly_then_exits_0()
    {
        await using var rig = await ServiceRig.StartAsync();
        var image = ServiceRig.WriteImage(rig.ImageDirectory, "disk.img", 1024 * 1024);
        (await rig.MountWithIntAsync(ServiceRig.LegacyPath(2), "file://" + image, true)).Should().BeTrue();
        rig.NextCompletion(ServiceRig.LegacyPath(2)).Should().Be(0);
        await using var browser = await StartBrowserAsync(rig, 0, image);
        (await rig.ProxyMountAsync(ServiceRig.ProxyPath(0))).Should().BeTrue();
        rig.NextCompletion(ServiceRig.ProxyPath(0)).Should().Be(0);
        Directory.GetDirectories(GadgetRoot(rig)).Should().HaveCount(2);

        var exitCode = await rig.Service.TerminateAsync();

        exitCode.Should().Be(0, rig.Service.Output);
        Directory.GetDirectories(GadgetRoot(rig)).Should().BeEmpty();
        SectorsOf(rig, "nbd0").Should().Be(0);
        SectorsOf(rig, "nbd2").Should().Be(0);
        File.Exists(Path.Combine(rig.Sandbox, "run/virtual-media/nbd2.sock")).Should().BeFalse();
        rig.Service.Output.Should().Contain("Slot_0: service stopping: ejecting").And.Contain("Slot_2: service stopping: ejecting");
        rig.Service.Lines.Should().NotContain(l => l.StartsWith("<3>", StringComparison.Ordinal));
    }

    // SIGTERM while a Mount is still in its early checks (its server accepted and went silent): Stop cancels the checks
    // and waits for them, so the caller gets the service's error reply before the service leaves the bus, not the
    // bus's NoReply, and the service still exits 0 with nothing left.
    [Test]
    public async Task SIGTERM_during_a_Mounts_checks_answers_that_Mount_with_an_error_then_exits_0()
    {
        await using var rig = await ServiceRig.StartAsync();
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var mount = rig.MountWithIntAsync(ServiceRig.LegacyPath(2), $"https://127.0.0.1:{port}/disk.img", false);
        using var checking = await silent.AcceptTcpClientAsync().WaitAsync(Patience.Scale(TimeSpan.FromSeconds(10)));

        var exitCode = await rig.Service.TerminateAsync();

        exitCode.Should().Be(0, rig.Service.Output);
        var error = (await mount.Awaiting(m => m).Should().ThrowAsync<DBusErrorException>()).Which;
        error.ErrorName.Should().NotBe("org.freedesktop.DBus.Error.NoReply", rig.Service.Output);
        error.ErrorMessage.Should().Contain("Slot_2");
        Directory.GetDirectories(GadgetRoot(rig)).Should().BeEmpty();
        rig.Service.Lines.Should().NotContain(l => l.StartsWith("<3>", StringComparison.Ordinal) && !l.Contains("refused", StringComparison.Ordinal));
    }

    [Test]
    public async Task A_restart_after_a_crash_while_active_leaves_nothing_stale_and_the_slot_usable()
    {
        await using var rig = await ServiceRig.StartAsync();
        var image = ServiceRig.WriteImage(rig.ImageDirectory, "disk.img", 1024 * 1024);
        var path = ServiceRig.LegacyPath(2);
        (await rig.MountWithIntAsync(path, "file://" + image, false)).Should().BeTrue();
        rig.NextCompletion(path).Should().Be(0);

        await rig.Service.KillAsync();
        Directory.GetDirectories(GadgetRoot(rig)).Should().ContainSingle("the crash left the gadget behind");
        await rig.StartServiceAsync();

        Directory.GetDirectories(GadgetRoot(rig)).Should().BeEmpty();
        rig.Service.Output.Should().Contain("Slot_2: removed the USB gadget a previous run left behind");
        (await rig.IsActiveAsync(path)).Should().BeFalse();
        (await rig.MountWithIntAsync(path, "file://" + image, false)).Should().BeTrue();
        rig.NextCompletion(path).Should().Be(0);
        (await rig.HostViewSha256Async("nbd2")).Should().Be(await NbdPeers.Sha256Async(image));
        (await rig.UnmountAsync(path)).Should().BeTrue();
        rig.NextCompletion(path).Should().Be(0);
    }

    [Test]
    public async Task An_idle_slot_is_ejected_after_the_inactivity_timeout_counting_down_each_second()
    {
        await using var rig = await ServiceRig.StartAsync(r => ServiceRig.StandardConfig(r, "\"InactivityTimeout\": 3"));
        var image = ServiceRig.WriteImage(rig.ImageDirectory, "disk.img", 1024 * 1024);
        var path = ServiceRig.LegacyPath(3);
        (await rig.MountWithIntAsync(path, "file://" + image, false)).Should().BeTrue();
        rig.NextCompletion(path).Should().Be(0);
        (await rig.GetAsync(path, ServiceRig.MountPoint, "RemainingInactivityTimeout")).Should().Be((ushort)3);

        await Wait.UntilAsync(async () => !await rig.IsActiveAsync(path), TimeSpan.FromSeconds(15), "the inactivity eject");

        rig.Changes.Count(c => c.Path == path && c.Names.Contains("RemainingInactivityTimeout")).Should().BeGreaterThanOrEqualTo(3);
        await rig.ExpectReadyOwingNoCompletionAsync(path);
        rig.Service.Lines.Should().Contain(l => l.StartsWith("<4>Slot_3: no I/O", StringComparison.Ordinal));
        Directory.GetDirectories(GadgetRoot(rig)).Should().BeEmpty();
    }

    [Test]
    public async Task A_read_write_mount_lets_the_host_write_and_counts_WriteIO()
    {
        await using var rig = await ServiceRig.StartAsync();
        var image = ServiceRig.WriteImage(rig.ImageDirectory, "disk.img", 1024 * 1024);
        var path = ServiceRig.LegacyPath(2);
        (await rig.MountAsync(path, "file://" + image, true, SecretPipe.Holding(string.Empty, string.Empty))).Should().BeTrue();
        rig.NextCompletion(path).Should().Be(0);
        (await rig.GetAsync(path, ServiceRig.MountPoint, "WriteProtected")).Should().Be(false);

        var socket = Path.Combine(rig.Sandbox, "dev/nbd2.sock");
        (await NbdPeers.NbdshAsync($"nbd+unix:///?socket={socket}", "h.pwrite(b'VMEDIA' * 1000, 4096); h.flush()")).EnsureSuccess("nbdsh");

        await Wait.UntilAsync(
            async () => (ulong)await rig.GetAsync(path, ServiceRig.Stats, "WriteIO") > 0, TimeSpan.FromSeconds(5), "WriteIO to count the write");
        (await rig.UnmountAsync(path)).Should().BeTrue();
        rig.NextCompletion(path).Should().Be(0);
        var bytes = await File.ReadAllBytesAsync(image);
        Encoding.ASCII.GetString(bytes, 4096, 6000).Should().Be(string.Concat(Enumerable.Repeat("VMEDIA", 1000)));
    }

    [Test]
    public async Task Every_slot_mounts_at_once_and_each_serves_its_own_image()
    {
        var nginx = await NginxServer.StartAsync();
        await using var _ = nginx;
        await using var rig = await ServiceRig.StartAsync(r => ServiceRig.StandardConfig(
            r, $"\"InactivityTimeout\": 1800, \"CaDirectory\": \"{nginx.CaDirectory}\""));
        var images = Enumerable.Range(0, 4).Select(i => ServiceRig.WriteImage(nginx.Root, $"slot{i}.img", (1 + i) * 512 * 1024)).ToArray();
        await using var browser0 = await StartBrowserAsync(rig, 0, images[0]);
        await using var browser1 = await StartBrowserAsync(rig, 1, images[1]);

        var mounts = await Task.WhenAll(
            rig.ProxyMountAsync(ServiceRig.ProxyPath(0)),
            rig.ProxyMountAsync(ServiceRig.ProxyPath(1)),
            rig.MountWithIntAsync(ServiceRig.LegacyPath(2), nginx.HttpsUrl("images/slot2.img"), false),
            rig.MountAsync(ServiceRig.LegacyPath(3), nginx.HttpsUrl("private/slot3.img"), false, SecretPipe.Holding(NginxServer.User, NginxServer.Password)));

        mounts.Should().AllBeEquivalentTo(true);
        string[] paths = [ServiceRig.ProxyPath(0), ServiceRig.ProxyPath(1), ServiceRig.LegacyPath(2), ServiceRig.LegacyPath(3)];
        paths.Select(p => rig.NextCompletion(p)).ToArray().Should().AllBeEquivalentTo(0);
        for (var i = 0; i < 4; i++)
        {
            (await rig.HostViewSha256Async(Devices[i])).Should().Be(await NbdPeers.Sha256Async(images[i]), $"slot {i}");
        }

        Directory.GetDirectories(GadgetRoot(rig)).Should().HaveCount(4);
        var unmounts = await Task.WhenAll(paths.Select(rig.UnmountAsync));
        unmounts.Should().AllBeEquivalentTo(true);
        paths.Select(p => rig.NextCompletion(p)).ToArray().Should().AllBeEquivalentTo(0);
        Directory.GetDirectories(GadgetRoot(rig)).Should().BeEmpty();
    }

    /// <summary>Stands in for bmcweb and the browser: an NBD server of the image on the proxy slot's socket.</summary>
    private static async Task<BrowserStandIn> StartBrowserAsync(ServiceRig rig, int slot, string image)
    {
        var socket = (string)await rig.GetAsync(ServiceRig.ProxyPath(slot), ServiceRig.MountPoint, "Socket");
        var source = FileImageSource.Open(image, writable: false);
        return new BrowserStandIn(source, NbdUnixListener.Start(new NbdServer(new NbdExport(source)), socket));
    }

    private static string GadgetRoot(ServiceRig rig) => Path.Combine(rig.Sandbox, "sys/kernel/config/usb_gadget");

    private static long SectorsOf(ServiceRig rig, string device) =>
        long.Parse(File.ReadAllText(Path.Combine(rig.Sandbox, "sys/block", device, "size")).Trim(), System.Globalization.CultureInfo.InvariantCulture);

    private static async Task<string> ReceiveAsync(Socket socket)
    {
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var count = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
        return Encoding.UTF8.GetString(buffer, 0, count);
    }

    private sealed class BrowserStandIn(IImageSource source, NbdUnixListener listener) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await listener.DisposeAsync();
            await source.DisposeAsync();
        }
    }
}
