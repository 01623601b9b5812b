using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.Service;

/// <summary>org.freedesktop.DBus.Peer on the real service, called with busctl: the standard methods the other service
/// tests do not reach (Introspect, Properties and ObjectManager are theirs).</summary>
[NonParallelizable]
public sealed class PeerInterfaceTests
{
    private static readonly string[] MachineIdFiles = ["/etc/machine-id", "/var/lib/dbus/machine-id"];
    private ServiceRig _rig = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        Require.Tool("busctl");
        _rig = await ServiceRig.StartAsync();
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
    public async Task Ping_answers_on_every_object_and_on_a_path_without_one()
    {
        foreach (var path in new[] { ServiceRig.Root, ServiceRig.ProxyPath(0), ServiceRig.LegacyPath(3), "/no/such/object" })
        {
            (await BusctlAsync("call", ServiceRig.Name, path, "org.freedesktop.DBus.Peer", "Ping")).Should().BeEmpty(path);
        }
    }

    [Test]
    public async Task GetMachineId_gives_this_machines_id()
    {
        var file = MachineIdFiles.FirstOrDefault(File.Exists);
        if (file is null)
        {
            Require.Missing("/etc/machine-id");
        }

        var expected = (await File.ReadAllTextAsync(file!)).Trim();

        (await BusctlAsync("call", ServiceRig.Name, ServiceRig.LegacyPath(2), "org.freedesktop.DBus.Peer", "GetMachineId"))
            .Should().Be($"s \"{expected}\"\n");
    }

    private async Task<string> BusctlAsync(params string[] arguments) =>
        (await ExternalProcess.RunAsync(Require.Tool("busctl"), ["--address=" + _rig.Bus.Address, .. arguments]))
        .EnsureSuccess("busctl").StandardOutput;
}
