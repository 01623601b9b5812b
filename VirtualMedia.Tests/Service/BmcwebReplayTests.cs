using VirtualMedia.DBus;
using VirtualMedia.Nbd;
using VirtualMedia.Nbd.Sources;
using VirtualMedia.Tests.Infrastructure;
using VirtualMedia.Tests.Service.Redfish;

namespace VirtualMedia.Tests.Service;

/// <summary>
/// Replays exactly what bmcweb does (CONTRACT.md §1, "How bmcweb uses it") against the real service
/// on a private dbus-daemon, and checks what the host would read through the sandbox.
/// </summary>
[NonParallelizable]
public sealed class BmcwebReplayTests : NginxServiceFixture
{
    private const int ImageBytes = 3 * 1024 * 1024 + 4096;
    private string _image = null!;
    private string _imageSha = null!;

    private protected override async Task PrepareImagesAsync(string root)
    {
        Require.Tool("nbdcopy");
        _image = ServiceRig.WriteImage(root, "install.iso", ImageBytes);
        _imageSha = await NbdPeers.Sha256Async(_image);
    }

    [Test]
    public async Task GetManagedObjects_lists_every_slot_with_the_contract_interfaces_and_types()
    {
        using var reply = await Rig.Client.CallMethodAsync(
            ServiceRig.Name, ServiceRig.Root, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", null, ServiceRig.CallTimeout);
        reply.Signature.Should().Be("a{oa{sa{sv}}}");
        var objects = (Dictionary<object, object>)reply.GetReader().ReadValue("a{oa{sa{sv}}}");

        objects.Keys.Cast<string>().Should().BeEquivalentTo(
            ServiceRig.ProxyPath(0), ServiceRig.ProxyPath(1), ServiceRig.LegacyPath(2), ServiceRig.LegacyPath(3));
        var legacy = (Dictionary<object, object>)objects[ServiceRig.LegacyPath(2)];
        legacy.Keys.Cast<string>().Should().Contain([ServiceRig.MountPoint, ServiceRig.Process, ServiceRig.Stats, ServiceRig.Legacy]);
        var mountPoint = ((Dictionary<object, object>)legacy[ServiceRig.MountPoint]).ToDictionary(p => (string)p.Key, p => (DBusVariant)p.Value);
        var signatures = mountPoint.ToDictionary(p => p.Key, p => p.Value.Signature);
        signatures.Should().BeEquivalentTo(new Dictionary<string, string>
        {
            ["EndpointId"] = "s",
            ["Mode"] = "y",
            ["Device"] = "s",
            ["Socket"] = "s",
            ["Timeout"] = "q",
            ["BlockSize"] = "q",
            ["RemainingInactivityTimeout"] = "q",
            ["ImageURL"] = "s",
            ["WriteProtected"] = "b",
        });
        mountPoint["Mode"].Value.Should().Be((byte)1);
        mountPoint["Device"].Value.Should().Be("nbd2");
        var process = ((Dictionary<object, object>)legacy[ServiceRig.Process]).ToDictionary(p => (string)p.Key, p => ((DBusVariant)p.Value).Signature);
        process.Should().BeEquivalentTo(new Dictionary<string, string> { ["Active"] = "b", ["ExitCode"] = "i" });
        var stats = ((Dictionary<object, object>)legacy[ServiceRig.Stats]).ToDictionary(p => (string)p.Key, p => ((DBusVariant)p.Value).Signature);
        stats.Should().BeEquivalentTo(new Dictionary<string, string> { ["ReadIO"] = "t", ["WriteIO"] = "t" });
        var proxy = (Dictionary<object, object>)objects[ServiceRig.ProxyPath(1)];
        proxy.Keys.Cast<string>().Should().Contain(ServiceRig.Proxy).And.NotContain(ServiceRig.Legacy);
    }

    [Test]
    public async Task GetAll_MountPoint_of_a_proxy_slot_gives_bmcweb_its_socket_and_endpoint()
    {
        var body = MessageBody.Create("s");
        body.WriteString(ServiceRig.MountPoint);
        using var reply = await Rig.Client.CallMethodAsync(
            ServiceRig.Name, ServiceRig.ProxyPath(0), "org.freedesktop.DBus.Properties", "GetAll", body, ServiceRig.CallTimeout);
        var all = ((Dictionary<object, object>)reply.GetReader().ReadValue("a{sv}")).ToDictionary(p => (string)p.Key, p => ((DBusVariant)p.Value).Value);

        all["EndpointId"].Should().Be("/nbd/0");
        all["Mode"].Should().Be((byte)0);
        all["Socket"].Should().Be(Path.Combine(Rig.Sandbox, "run/virtual-media/nbd0.sock"));
        all["Timeout"].Should().Be((ushort)30);
        all["BlockSize"].Should().Be((ushort)512);
        all["ImageURL"].Should().Be(string.Empty);
        all["WriteProtected"].Should().Be(true);
    }

    [Test]
    public async Task Mount_sbh_with_credentials_inserts_the_image_the_host_reads_byte_for_byte()
    {
        var url = Nginx.HttpsUrl("private/install.iso");
        using var secret = SecretPipe.Holding(NginxServer.User, NginxServer.Password);
        var path = ServiceRig.LegacyPath(2);

        (await Rig.MountAsync(path, url, false, secret)).Should().BeTrue();

        Rig.NextCompletion(path).Should().Be(0);
        (await Rig.IsActiveAsync(path)).Should().BeTrue();
        (await Rig.GetAsync(path, ServiceRig.MountPoint, "ImageURL")).Should().Be(url);
        (await Rig.GetAsync(path, ServiceRig.MountPoint, "WriteProtected")).Should().Be(true);
        (await Rig.HostViewSha256Async("nbd2")).Should().Be(_imageSha);
        await Wait.UntilAsync(
            async () => (ulong)await Rig.GetAsync(path, ServiceRig.Stats, "ReadIO") > 0, TimeSpan.FromSeconds(5), "ReadIO to count the reads");
        Rig.Service.Output.Should().NotContain(NginxServer.Password);

        (await Rig.UnmountAsync(path)).Should().BeTrue();
        Rig.NextCompletion(path).Should().Be(0);
        (await Rig.IsActiveAsync(path)).Should().BeFalse();
        (await Rig.GetAsync(path, ServiceRig.MountPoint, "ImageURL")).Should().Be(string.Empty);
    }

    [Test]
    public async Task Mount_sbh_with_empty_strings_mounts_without_credentials()
    {
        using var secret = SecretPipe.Holding(string.Empty, string.Empty);
        var path = ServiceRig.LegacyPath(3);

        (await Rig.MountAsync(path, Nginx.HttpsUrl("images/install.iso"), false, secret)).Should().BeTrue();

        Rig.NextCompletion(path).Should().Be(0);
        (await Rig.HostViewSha256Async("nbd3")).Should().Be(_imageSha);
        (await Rig.UnmountAsync(path)).Should().BeTrue();
        Rig.NextCompletion(path).Should().Be(0);
    }

    [Test]
    public async Task Mount_sbv_holding_int_minus_one_mounts_without_a_secret()
    {
        var path = ServiceRig.LegacyPath(2);

        (await Rig.MountWithIntAsync(path, Nginx.HttpsUrl("images/install.iso"), false)).Should().BeTrue();

        Rig.NextCompletion(path).Should().Be(0);
        (await Rig.HostViewSha256Async("nbd2")).Should().Be(_imageSha);
        (await Rig.UnmountAsync(path)).Should().BeTrue();
        Rig.NextCompletion(path).Should().Be(0);
    }

    [Test]
    public async Task Mount_sbv_holding_a_fd_reads_the_secret_from_it()
    {
        using var secret = SecretPipe.Holding(NginxServer.User, NginxServer.Password);
        var path = ServiceRig.LegacyPath(3);

        (await Rig.MountWithVariantFdAsync(path, Nginx.HttpsUrl("private/install.iso"), false, secret)).Should().BeTrue();

        Rig.NextCompletion(path).Should().Be(0);
        (await Rig.HostViewSha256Async("nbd3")).Should().Be(_imageSha);
        (await Rig.UnmountAsync(path)).Should().BeTrue();
        Rig.NextCompletion(path).Should().Be(0);
    }

    [Test]
    public async Task The_nbd_websocket_flow_attaches_to_the_socket_bmcweb_listens_on()
    {
        // bmcweb: GetAll(MountPoint) for Socket, listen on it, Proxy.Mount, relay the browser's NBD server, Proxy.Unmount on close.
        var path = ServiceRig.ProxyPath(1);
        var socket = (string)await Rig.GetAsync(path, ServiceRig.MountPoint, "Socket");
        var image = ServiceRig.WriteImage(Rig.Directory.Path, "browser.img", 2 * 1024 * 1024);
        await using var browser = FileImageSource.Open(image, writable: false);
        await using var listener = NbdUnixListener.Start(new NbdServer(new NbdExport(browser)), socket);

        (await Rig.ProxyMountAsync(path)).Should().BeTrue();

        Rig.NextCompletion(path).Should().Be(0);
        (await Rig.IsActiveAsync(path)).Should().BeTrue();
        (await Rig.HostViewSha256Async("nbd1")).Should().Be(await NbdPeers.Sha256Async(image));
        (await Rig.UnmountAsync(path)).Should().BeTrue();
        Rig.NextCompletion(path).Should().Be(0);
        (await Rig.IsActiveAsync(path)).Should().BeFalse();
    }

    [Test]
    public async Task Redfish_shows_an_empty_slot_of_each_mode_as_not_inserted()
    {
        var legacy = await RedfishViewAsync(ServiceRig.LegacyPath(3));
        legacy.Inserted.Should().BeFalse();
        legacy.ConnectedVia.Should().Be("NotConnected");
        legacy.Image.Should().BeNull();
        legacy.WriteProtected.Should().BeTrue();
        legacy.WebSocketEndpoint.Should().BeNull();

        var proxy = await RedfishViewAsync(ServiceRig.ProxyPath(0));
        proxy.Inserted.Should().BeFalse();
        proxy.ConnectedVia.Should().Be("NotConnected");
        proxy.TransferProtocolType.Should().Be("OEM");
        proxy.WebSocketEndpoint.Should().Be("/nbd/0");
    }

    [Test]
    public async Task Redfish_shows_an_active_legacy_mount_as_connected_via_URI()
    {
        var path = ServiceRig.LegacyPath(2);
        var url = Nginx.HttpsUrl("images/install.iso");
        (await Rig.MountWithIntAsync(path, url, false)).Should().BeTrue();
        Rig.NextCompletion(path).Should().Be(0);

        var view = await RedfishViewAsync(path);

        view.Should().BeEquivalentTo(new
        {
            Inserted = (bool?)true,
            ConnectedVia = "URI",
            Image = url,
            ImageName = "install.iso",
            TransferProtocolType = "HTTPS",
            WriteProtected = true,
            WebSocketEndpoint = (string?)null,
        });
        (await Rig.UnmountAsync(path)).Should().BeTrue();
        Rig.NextCompletion(path).Should().Be(0);
        (await RedfishViewAsync(path)).Should().BeEquivalentTo(new { Inserted = (bool?)false, ConnectedVia = "NotConnected", Image = (string?)null });
    }

    [Test]
    public async Task Redfish_shows_an_active_proxy_mount_as_connected_via_Applet()
    {
        var path = ServiceRig.ProxyPath(1);
        var socket = (string)await Rig.GetAsync(path, ServiceRig.MountPoint, "Socket");
        var image = ServiceRig.WriteImage(Rig.Directory.Path, "applet.img", 1024 * 1024);
        await using var browser = FileImageSource.Open(image, writable: false);
        await using var listener = NbdUnixListener.Start(new NbdServer(new NbdExport(browser)), socket);
        (await Rig.ProxyMountAsync(path)).Should().BeTrue();
        Rig.NextCompletion(path).Should().Be(0);

        var view = await RedfishViewAsync(path);

        view.Should().BeEquivalentTo(new
        {
            Inserted = (bool?)true,
            ConnectedVia = "Applet",
            Image = (string?)null,
            TransferProtocolType = "OEM",
            WriteProtected = true,
            WebSocketEndpoint = "/nbd/1",
        });
        (await Rig.UnmountAsync(path)).Should().BeTrue();
        Rig.NextCompletion(path).Should().Be(0);
    }

    [Test]
    public async Task Mount_is_answered_before_its_Completion_even_when_activation_fails_at_once()
    {
        // Nothing listens on the proxy slot's socket: the NBD client fails as soon as it starts. The bus's own
        // order of messages (dbus-monitor) must still show Mount's reply before the Completion, every time.
        var path = ServiceRig.ProxyPath(0);
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var monitor = ExternalProcess.Start(Require.Tool("dbus-monitor"), ["--address", Rig.Bus.Address, "--profile"]);
        var collecting = ExternalProcess.CollectLinesAsync(monitor, lines);
        await Wait.UntilAsync(
            async () => await Rig.HasOwnerAsync() && lines.Any(l => l.Contains("NameHasOwner", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(10), "dbus-monitor to see the bus's traffic");
        const int Rounds = 10;
        for (var i = 0; i < Rounds; i++)
        {
            (await Rig.ProxyMountAsync(path)).Should().BeTrue();
            Rig.NextCompletion(path).Should().NotBe(0);
        }

        // The monitor prints in its own time, behind the bus (the more so as failed mounts also create event log entries):
        // stop it only once it has shown every Completion.
        await Wait.UntilAsync(
            () => lines.Count(l => l.StartsWith("sig\t", StringComparison.Ordinal) && l.Contains(path, StringComparison.Ordinal)
                && l.EndsWith("\tCompletion", StringComparison.Ordinal)) >= Rounds,
            TimeSpan.FromSeconds(10),
            "dbus-monitor to show every Completion");
        await ExternalProcess.StopAsync(monitor);
        await collecting;

        // --profile columns: type, time, serial, sender, destination, path, interface, member (a reply: in_reply_to).
        var messages = lines.Where(l => !l.StartsWith('#')).Select(l => l.Split('\t')).ToList();
        var calls = messages.Select((m, i) => (Fields: m, Index: i))
            .Where(m => m.Fields[0] == "mc" && m.Fields.Length > 7 && m.Fields[5] == path && m.Fields[7] == "Mount").ToList();
        calls.Should().HaveCount(Rounds);
        foreach (var call in calls)
        {
            var reply = messages.FindIndex(call.Index, m => m[0] is "mr" or "err" && m[^1] == call.Fields[2] && m[4] == call.Fields[3]);
            var completion = messages.FindIndex(call.Index, m => m[0] == "sig" && m.Length > 7 && m[5] == path && m[7] == "Completion");
            reply.Should().BePositive("Mount was answered");
            completion.Should().BeGreaterThan(reply, "the caller hears Mount's reply before the Completion of that Mount");
        }
    }

    [Test]
    public async Task PropertiesChanged_announces_Active_ImageURL_and_ExitCode()
    {
        var path = ServiceRig.LegacyPath(2);
        var seen = Rig.Changes.Count;

        (await Rig.MountWithIntAsync(path, Nginx.HttpsUrl("images/install.iso"), false)).Should().BeTrue();
        Rig.NextCompletion(path).Should().Be(0);
        (await Rig.UnmountAsync(path)).Should().BeTrue();
        Rig.NextCompletion(path).Should().Be(0);

        var names = Rig.Changes.Skip(seen).Where(c => c.Path == path).SelectMany(c => c.Names.Select(n => c.Interface + "." + n)).ToList();
        names.Should().Contain([
            ServiceRig.Process + ".Active", ServiceRig.Process + ".ExitCode", ServiceRig.MountPoint + ".ImageURL",
            ServiceRig.MountPoint + ".RemainingInactivityTimeout",
        ]);
    }

    private async Task<RedfishVirtualMedia> RedfishViewAsync(string path)
    {
        using var reply = await Rig.Client.CallMethodAsync(
            ServiceRig.Name, ServiceRig.Root, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", null, ServiceRig.CallTimeout);
        return RedfishVirtualMedia.FromManagedObjects(reply, path);
    }
}
