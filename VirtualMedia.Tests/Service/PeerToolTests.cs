using System.Xml.Linq;
using VirtualMedia.Nbd;
using VirtualMedia.Nbd.Sources;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.Service;

/// <summary>busctl and gdbus, the tools operators and scripts use, against the real service.</summary>
[NonParallelizable]
public sealed class PeerToolTests
{
    private ServiceRig _rig = null!;
    private string _image = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        Require.Tool("busctl");
        Require.Tool("gdbus");
        _rig = await ServiceRig.StartAsync();
        _image = ServiceRig.WriteImage(_rig.ImageDirectory, "disk.img", 1024 * 1024);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_rig is not null)
        {
            await _rig.DisposeAsync();
        }
    }

    [Test]
    public async Task The_published_interfaces_equal_the_dbus_xml_file()
    {
        var file = XDocument.Load(Repository.Combine("dbus/xyz.openbmc_project.VirtualMedia.xml"));
        var slots = file.Root!.Elements("node").ToList();
        slots.Select(n => (string)n.Attribute("name")!).Should().Equal("Proxy/Slot_0", "Legacy/Slot_2");

        foreach (var slot in slots)
        {
            var path = $"{ServiceRig.Root}/{(string)slot.Attribute("name")!}";
            var xml = await RunAsync("gdbus", "introspect", "--address", _rig.Bus.Address, "--dest", ServiceRig.Name, "--object-path", path, "--xml");
            var published = XDocument.Parse(xml).Root!.Elements("interface").ToList();
            published.Select(i => (string)i.Attribute("name")!).Where(n => !n.StartsWith("xyz.", StringComparison.Ordinal))
                .Should().BeEquivalentTo("org.freedesktop.DBus.Peer", "org.freedesktop.DBus.Introspectable", "org.freedesktop.DBus.Properties");
            var ours = published.Where(i => ((string)i.Attribute("name")!).StartsWith("xyz.", StringComparison.Ordinal)).ToList();
            var expected = slot.Elements("interface").ToList();
            ours.Select(Canonical).Should().Equal(expected.Select(Canonical), $"{path} must publish what the file says");
        }
    }

    [Test]
    public async Task busctl_tree_finds_every_slot_under_the_intermediate_nodes()
    {
        var tree = await RunAsync("busctl", "--address=" + _rig.Bus.Address, "tree", "--list", ServiceRig.Name);

        tree.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Should().Contain([
            "/xyz", "/xyz/openbmc_project", ServiceRig.Root, ServiceRig.Root + "/Proxy", ServiceRig.Root + "/Legacy",
            ServiceRig.ProxyPath(0), ServiceRig.ProxyPath(1), ServiceRig.LegacyPath(2), ServiceRig.LegacyPath(3),
        ]);
    }

    [Test]
    public async Task gdbus_reads_every_property_with_its_type()
    {
        var all = await RunAsync("gdbus", "call", "--address", _rig.Bus.Address, "--dest", ServiceRig.Name, "--object-path", ServiceRig.ProxyPath(1),
            "--method", "org.freedesktop.DBus.Properties.GetAll", ServiceRig.MountPoint);

        all.Should().Contain("'EndpointId': <'/nbd/1'>").And.Contain("'Mode': <byte 0x00>").And.Contain("'Device': <'nbd1'>")
            .And.Contain("'Timeout': <uint16 30>").And.Contain("'BlockSize': <uint16 512>").And.Contain("'RemainingInactivityTimeout': <uint16 0>")
            .And.Contain("'ImageURL': <''>").And.Contain("'WriteProtected': <true>");
        (await RunAsync("busctl", "--address=" + _rig.Bus.Address, "get-property", ServiceRig.Name, ServiceRig.LegacyPath(2), ServiceRig.Process, "Active", "ExitCode"))
            .Should().Be("b false\ni 0\n");
        (await RunAsync("busctl", "--address=" + _rig.Bus.Address, "get-property", ServiceRig.Name, ServiceRig.LegacyPath(2), ServiceRig.Stats, "ReadIO", "WriteIO"))
            .Should().Be("t 0\nt 0\n");
    }

    [TestCase("ImageURL", "s", "https://elsewhere/x.iso")]
    [TestCase("RemainingInactivityTimeout", "q", "60")]
    [TestCase("WriteProtected", "b", "false")]
    public async Task Setting_a_property_is_refused_not_ignored(string property, string type, string value)
    {
        var before = await _rig.GetAsync(ServiceRig.LegacyPath(2), ServiceRig.MountPoint, property);
        var result = await ExternalProcess.RunAsync(Require.Tool("busctl"),
            ["--address=" + _rig.Bus.Address, "set-property", ServiceRig.Name, ServiceRig.LegacyPath(2), ServiceRig.MountPoint, property, type, value]);

        result.ExitCode.Should().NotBe(0);
        result.StandardError.Should().Contain("not writable");
        var body = VirtualMedia.DBus.MessageBody.Create("ssv");
        body.WriteString(ServiceRig.MountPoint);
        body.WriteString(property);
        body.WriteVariantSignature("s");
        body.WriteString(value);
        var ours = async () => (await _rig.Client.CallMethodAsync(
            ServiceRig.Name, ServiceRig.LegacyPath(2), "org.freedesktop.DBus.Properties", "Set", body, ServiceRig.CallTimeout)).Dispose();
        (await ours.Should().ThrowAsync<VirtualMedia.DBus.DBusErrorException>()).Which.ErrorName
            .Should().Be("org.freedesktop.DBus.Error.PropertyReadOnly");
        (await _rig.GetAsync(ServiceRig.LegacyPath(2), ServiceRig.MountPoint, property)).Should().Be(before);
    }

    [Test]
    public async Task busctl_mounts_with_sbv_minus_one_and_unmounts_as_the_README_shows()
    {
        var busctl = new[] { "--address=" + _rig.Bus.Address, "call", "--", ServiceRig.Name, ServiceRig.LegacyPath(3), ServiceRig.Legacy };

        (await RunAsync("busctl", [.. busctl, "Mount", "sbv", "file://" + _image, "false", "i", "-1"])).Should().Be("b true\n");
        _rig.NextCompletion(ServiceRig.LegacyPath(3)).Should().Be(0);
        (await RunAsync("busctl", "--address=" + _rig.Bus.Address, "get-property", ServiceRig.Name, ServiceRig.LegacyPath(3), ServiceRig.Process, "Active"))
            .Should().Be("b true\n");
        (await _rig.HostViewSha256Async("nbd3")).Should().Be(await NbdPeers.Sha256Async(_image));

        (await RunAsync("busctl", [.. busctl, "Unmount"])).Should().Be("b true\n");
        _rig.NextCompletion(ServiceRig.LegacyPath(3)).Should().Be(0);
    }

    [Test]
    public async Task gdbus_drives_a_proxy_mount_and_unmount()
    {
        var socket = (string)await _rig.GetAsync(ServiceRig.ProxyPath(0), ServiceRig.MountPoint, "Socket");
        await using var source = FileImageSource.Open(_image, writable: false);
        await using var listener = NbdUnixListener.Start(new NbdServer(new NbdExport(source)), socket);
        string[] gdbus = ["call", "--address", _rig.Bus.Address, "--dest", ServiceRig.Name, "--object-path", ServiceRig.ProxyPath(0)];

        (await RunAsync("gdbus", [.. gdbus, "--method", ServiceRig.Proxy + ".Mount"])).Trim().Should().Be("(true,)");
        _rig.NextCompletion(ServiceRig.ProxyPath(0)).Should().Be(0);
        (await RunAsync("gdbus", [.. gdbus, "--method", ServiceRig.Proxy + ".Unmount"])).Trim().Should().Be("(true,)");
        _rig.NextCompletion(ServiceRig.ProxyPath(0)).Should().Be(0);
        var refused = await ExternalProcess.RunAsync(Require.Tool("gdbus"), [.. gdbus, "--method", ServiceRig.Proxy + ".Unmount"]);
        refused.StandardError.Should().Contain("org.freedesktop.DBus.Error.AccessDenied");
    }

    private static string Canonical(XElement element) =>
        new XElement(element).ToString(SaveOptions.DisableFormatting);

    private static async Task<string> RunAsync(string tool, params string[] arguments) =>
        (await ExternalProcess.RunAsync(Require.Tool(tool), arguments)).EnsureSuccess(tool).StandardOutput;
}
