using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.Service;

/// <summary>
/// The D-Bus policy of systemd/ on a real dbus-daemon: root owns the name and may call Mount;
/// another user may read properties but neither call Mount/Unmount, set properties (Transfer.Method) nor own the name.
/// </summary>
[NonParallelizable]
public sealed class BusPolicyTests
{
    private const string Slot = "/xyz/openbmc_project/VirtualMedia/Legacy/Slot_1";

    [Test]
    public async Task Only_root_mounts_and_owns_the_name_while_anyone_reads_properties()
    {
        var runuser = Require.Tool("runuser");
        var busctl = Require.Tool("busctl");
        if (Environment.UserName != "root" || !OperatingSystem.IsLinux())
        {
            Require.Missing("running as root (to switch to another user)");
            return;
        }

        using var directory = new TempDirectory("vm-policy");
        await using var bus = await DBusDaemon.StartAsync(policy: Repository.Combine("systemd/xyz.openbmc_project.VirtualMedia.conf"), everyone: true);
        var address = bus.Address;
        var serviceConfig = directory.Combine("vm.json");
        await File.WriteAllTextAsync(serviceConfig, $$"""{"Sandbox": "{{directory.Combine("sandbox")}}", "ProxyMountPoints": 1, "LegacyMountPoints": 1}""");
        await using var service = ServiceProcess.Start(serviceConfig, new Dictionary<string, string> { ["DBUS_SYSTEM_BUS_ADDRESS"] = address });
        await Wait.UntilAsync(
            async () => (await ExternalProcess.RunAsync(busctl, ["--address=" + address, "status", ServiceRig.Name])).ExitCode == 0 || service.HasExited,
            TimeSpan.FromSeconds(30), "the service (as root) to own its name");
        service.HasExited.Should().BeFalse(service.Output);

        Task<ProcessResult> AsNobody(params string[] arguments) =>
            ExternalProcess.RunAsync(runuser, ["-u", "nobody", "--", busctl, "--address=" + address, .. arguments]);

        var read = await AsNobody("get-property", ServiceRig.Name, Slot, ServiceRig.Process, "Active");
        read.ExitCode.Should().Be(0, read.StandardError);
        read.StandardOutput.Should().Be("b false\n");
        (await AsNobody("introspect", ServiceRig.Name, Slot)).ExitCode.Should().Be(0);
        (await AsNobody("call", ServiceRig.Name, ServiceRig.Root, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects")).ExitCode.Should().Be(0);

        var mount = await AsNobody("call", "--", ServiceRig.Name, Slot, ServiceRig.Legacy, "Mount", "sbv", "https://127.0.0.1/x.iso", "false", "i", "-1");
        mount.ExitCode.Should().NotBe(0);
        mount.StandardError.Should().Contain("Access denied");
        var gdbus = Require.Tool("gdbus");
        string[] unmount = [gdbus, "call", "--address", address, "--dest", ServiceRig.Name, "--object-path", Slot, "--method", ServiceRig.Legacy + ".Unmount"];
        (await ExternalProcess.RunAsync(runuser, ["-u", "nobody", "--", .. unmount])).StandardError.Should().Contain("Rejected send message");
        (await AsNobody("call", "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "RequestName", "su",
            ServiceRig.Name, "0")).StandardError.Should().Contain("Access denied");

        string[] setMethod = ["set-property", ServiceRig.Name, Slot, ServiceRig.Name + ".Transfer", "Method", "s", "Upload"];
        (await AsNobody(setMethod)).StandardError.Should().Contain("Access denied", "only root picks a slot's transfer method");
        (await ExternalProcess.RunAsync(busctl, ["--address=" + address, .. setMethod])).EnsureSuccess("root sets Method");

        var asRoot = await ExternalProcess.RunAsync(unmount[0], unmount[1..]);
        asRoot.StandardError.Should().NotContain("Rejected").And.Contain("nothing to unmount", "root reaches the service, which answers EPERM");
    }
}
