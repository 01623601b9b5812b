using VirtualMedia.DBus;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.Service;

/// <summary>The running service survives a 4.3 MB Properties.Get sent to it over the bus (issue 11.1, service level).</summary>
[NonParallelizable]
public sealed class OversizedCallTests
{
    [Test]
    public async Task A_4_3_MB_Properties_Get_leaves_the_service_on_the_bus_and_an_active_mount_active()
    {
        await using var rig = await ServiceRig.StartAsync();
        var image = ServiceRig.WriteImage(rig.ImageDirectory, "disk.img", 1024 * 1024);
        var path = ServiceRig.LegacyPath(2);
        (await rig.MountWithIntAsync(path, "file://" + image, false)).Should().BeTrue();
        rig.NextCompletion(path).Should().Be(0);

        var body = MessageBody.Create("ss");
        body.WriteString(new string('i', 4_300_000));
        body.WriteString("Active");
        var act = async () =>
        {
            using var reply = await rig.Client.CallMethodAsync(
                ServiceRig.Name, path, "org.freedesktop.DBus.Properties", "Get", body, ServiceRig.CallTimeout);
        };
        // Whether it is refused as an unknown interface or otherwise, it must be answered with an error, not a crash.
        await act.Should().ThrowAsync<DBusErrorException>();

        rig.Service.HasExited.Should().BeFalse(rig.Service.Output);
        (await rig.HasOwnerAsync()).Should().BeTrue();
        (await rig.IsActiveAsync(path)).Should().BeTrue();
        (await rig.HostViewSha256Async("nbd2")).Should().Be(await NbdPeers.Sha256Async(image));
        (await rig.UnmountAsync(path)).Should().BeTrue();
        rig.NextCompletion(path).Should().Be(0);
    }
}
