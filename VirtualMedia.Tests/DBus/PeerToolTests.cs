using System.Diagnostics;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.DBus;

/// <summary>Independent D-Bus implementations (sd-bus busctl, GLib gdbus, libdbus dbus-send) against our server.</summary>
public sealed class PeerToolTests : BusTestBase
{
    private string Bus => "--address=" + Daemon.Address;

    [Test]
    public async Task Busctl_introspect_shows_every_property_with_type_flags_and_access()
    {
        var output = await RunPeerAsync("busctl", Bus, "introspect", TestService.BusName, TestService.Path);
        var lines = output.Split('\n').Select(l => System.Text.RegularExpressions.Regex.Split(l.Trim(), @"\s+")).ToList();

        string[] Line(string member) => lines.Single(l => l[0] == member);
        Line(".Bool").Should().Equal(".Bool", "property", "b", "true", "emits-change", "writable");
        Line(".Byte").Should().Equal(".Byte", "property", "y", "200", "emits-change");
        Line(".Int16").Should().Equal(".Int16", "property", "n", "-12345", "emits-change");
        Line(".UInt16").Should().Equal(".UInt16", "property", "q", "54321", "const");
        Line(".Int32").Should().Equal(".Int32", "property", "i", "-42", "emits-change", "writable");
        Line(".UInt32").Should().Equal(".UInt32", "property", "u", "4000000000", "emits-change");
        Line(".Int64").Should().Equal(".Int64", "property", "x", "-9000000000000", "emits-change");
        Line(".UInt64").Should().Equal(".UInt64", "property", "t", "18000000000000000000", "emits-invalidation");
        Line(".Double").Should().Equal(".Double", "property", "d", "3.5", "emits-change");
        Line(".ObjectPath").Should().Equal(".ObjectPath", "property", "o", "\"/org/virtualmedia/test/Object_1\"", "emits-change");
        Line(".Signature").Should().Equal(".Signature", "property", "g", "\"a{sv}\"", "emits-change");
        Line(".Strings").Should().Equal(".Strings", "property", "as", "2", "\"a\"", "\"b\"", "emits-change");
        Line(".Struct")[..3].Should().Equal(".Struct", "property", "(is)");
        Line(".Hidden").Should().Equal(".Hidden", "property", "s", "\"hidden\"", "-");
        Line(".ImageURL")[..3].Should().Equal(".ImageURL", "property", "s");
        Line(".ImageURL").Should().NotContain("writable");
        Line(".Mount").Should().Equal(".Mount", "method", "sbh", "b", "-");
        Line(".Completion").Should().Equal(".Completion", "signal", "i", "-", "-");
        Line("org.freedesktop.DBus.Properties")[1].Should().Be("interface");
    }

    [Test]
    public async Task Busctl_tree_from_root_finds_every_intermediate_node()
    {
        var output = await RunPeerAsync("busctl", Bus, "tree", "--list", TestService.BusName);

        output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()).Should().Equal(
            "/", "/org", "/org/virtualmedia", "/org/virtualmedia/test", TestService.Path);
    }

    [Test]
    public async Task Busctl_calls_with_every_basic_type_and_containers()
    {
        async Task<string> Echo(params string[] arguments) =>
            (await RunPeerAsync("busctl", [Bus, "call", TestService.BusName, TestService.Path, TestService.Interface, "Echo", "--", .. arguments])).Trim();

        (await Echo("y", "255")).Should().Be("y 255");
        (await Echo("b", "true")).Should().Be("b true");
        (await Echo("n", "-32768")).Should().Be("n -32768");
        (await Echo("q", "65535")).Should().Be("q 65535");
        (await Echo("i", "-2147483648")).Should().Be("i -2147483648");
        (await Echo("u", "4294967295")).Should().Be("u 4294967295");
        (await Echo("x", "-9223372036854775808")).Should().Be("x -9223372036854775808");
        (await Echo("t", "18446744073709551615")).Should().Be("t 18446744073709551615");
        (await Echo("d", "-0.25")).Should().Be("d -0.25");
        (await Echo("s", "grüße ✓")).Should().Be("s \"gr\\303\\274\\303\\237e \\342\\234\\223\"", "busctl escapes non-ASCII bytes in octal");
        (await Echo("o", "/a/b_c")).Should().Be("o \"/a/b_c\"");
        (await Echo("g", "a{sv}")).Should().Be("g \"a{sv}\"");
        (await Echo("v", "i", "7")).Should().Be("v i 7");
        (await Echo("ai", "3", "1", "2", "3")).Should().Be("ai 3 1 2 3");
        (await Echo("ay", "0")).Should().Be("ay 0");
        (await Echo("a{sv}", "2", "k", "i", "5", "s", "s", "x")).Should().Be("a{sv} 2 \"k\" i 5 \"s\" s \"x\"");
        (await Echo("(ybnqiuxtdsog)", "1", "false", "-2", "3", "-4", "5", "-6", "7", "1.5", "str", "/p", "ai"))
            .Should().Be("(ybnqiuxtdsog) 1 false -2 3 -4 5 -6 7 1.5 \"str\" \"/p\" \"ai\"");
        (await Echo("aai", "2", "1", "9", "0")).Should().Be("aai 2 1 9 0");
    }

    [Test]
    public async Task Busctl_gets_and_sets_properties()
    {
        (await RunPeerAsync("busctl", Bus, "get-property", TestService.BusName, TestService.Path, TestService.Interface, "UInt64")).Trim()
            .Should().Be("t 18000000000000000000");
        (await RunPeerAsync("busctl", Bus, "get-property", TestService.BusName, TestService.Path, TestService.Interface, "Struct")).Trim()
            .Should().Be("(is) 7 \"seven\"");

        try
        {
            await RunPeerAsync("busctl", Bus, "set-property", TestService.BusName, TestService.Path, TestService.Interface, "Int32", "i", "--", "-7");

            Service.Int32Value.Should().Be(-7);
            (await RunPeerAsync("busctl", Bus, "get-property", TestService.BusName, TestService.Path, TestService.Interface, "Int32")).Trim()
                .Should().Be("i -7");
        }
        finally
        {
            Service.Int32Value = -42;
        }
    }

    [Test]
    public async Task Busctl_set_of_a_read_only_property_is_refused()
    {
        var result = await RunPeerUncheckedAsync("busctl", Bus, "set-property", TestService.BusName, TestService.Path, TestService.Interface, "ImageURL", "s", "x");

        result.ExitCode.Should().NotBe(0);
        result.StandardError.Should().Contain("not writable");
    }

    [Test]
    public async Task Busctl_monitor_sees_our_signal()
    {
        using var monitor = ExternalProcess.Start(Require.Tool("busctl"), [Bus, "monitor", "--json=short", "--match=type='signal',member='Completion'"], Daemon.Environment);
        try
        {
            var line = Task.Run(async () =>
            {
                while (await monitor.StandardOutput.ReadLineAsync() is { } text)
                {
                    if (text.Contains("\"Completion\"", StringComparison.Ordinal))
                    {
                        return text;
                    }
                }

                return null;
            });
            await EmitUntilAsync(line, 23);

            (await line.WaitAsync(PeerTimeout)).Should().Contain("\"path\":\"" + TestService.Path + "\"").And.Contain("\"data\":[23]");
        }
        finally
        {
            await ExternalProcess.StopAsync(monitor);
        }
    }

    [Test]
    public async Task Gdbus_introspects_and_calls()
    {
        var introspection = await RunPeerAsync("gdbus", "introspect", "-a", Daemon.Address, "-d", TestService.BusName, "-o", TestService.Path);
        introspection.Should().Contain("Mount(in  s ImageURL,")
            .And.Contain("@org.freedesktop.DBus.Property.EmitsChangedSignal(\"const\")")
            .And.Contain("readwrite b Bool = true;")
            .And.Contain("readonly (is) Struct = (7, 'seven');")
            .And.Contain("Completion(i Result);");

        var reply = await RunPeerAsync("gdbus", "call", "-a", Daemon.Address, "-d", TestService.BusName, "-o", TestService.Path, "-m", TestService.Interface + ".Describe", "{'a': <int32 1>, 'b': <'x'>}");
        reply.Trim().Should().Be("({'a': <1>, 'b': <'x'>},)");

        var root = await RunPeerAsync("gdbus", "introspect", "-a", Daemon.Address, "-d", TestService.BusName, "-o", "/org/virtualmedia");
        root.Should().Contain("node test {");
    }

    [Test]
    public async Task Gdbus_monitor_sees_property_changes()
    {
        using var monitor = ExternalProcess.Start(Require.Tool("gdbus"), ["monitor", "-a", Daemon.Address, "-d", TestService.BusName, "-o", TestService.Path]);
        try
        {
            var line = Task.Run(async () =>
            {
                while (await monitor.StandardOutput.ReadLineAsync() is { } text)
                {
                    if (text.Contains("PropertiesChanged", StringComparison.Ordinal))
                    {
                        return text;
                    }
                }

                return null;
            });
            var sent = 0;
            while (!line.IsCompleted && sent++ < 50)
            {
                using var body = VirtualMedia.DBus.MessageBody.Create("s");
                body.WriteString("changed");
                using var reply = await CallAsync("SetString", body);
                await Task.WhenAny(line, Task.Delay(100));
            }

            (await line.WaitAsync(PeerTimeout)).Should()
                .Contain("('org.virtualmedia.Test1', {'String': <'changed'>, 'ImageURL': <'changed'>}, ['UInt64'])");
        }
        finally
        {
            await ExternalProcess.StopAsync(monitor);
        }
    }

    [Test]
    public async Task Dbus_send_calls_and_reads_properties()
    {
        var echo = await RunPeerAsync("dbus-send", "--bus=" + Daemon.Address, "--print-reply", "--dest=" + TestService.BusName, TestService.Path, TestService.Interface + ".Echo", "array:string:x,y");
        echo.Should().Contain("array [").And.Contain("string \"x\"").And.Contain("string \"y\"");

        var property = await RunPeerAsync("dbus-send", "--bus=" + Daemon.Address, "--print-reply=literal", "--dest=" + TestService.BusName, TestService.Path, "org.freedesktop.DBus.Properties.Get", "string:" + TestService.Interface, "string:Double");
        property.Trim().Should().Be("variant       double 3.5");

        var managed = await RunPeerAsync("dbus-send", "--bus=" + Daemon.Address, "--print-reply", "--dest=" + TestService.BusName, TestService.ManagerPath, "org.freedesktop.DBus.ObjectManager.GetManagedObjects");
        managed.Should().Contain("object path \"" + TestService.Path + "\"").And.Contain("string \"" + TestService.Interface + "\"");
    }

    [Test]
    public async Task Dbus_send_ping_and_machine_id_through_peer_interface()
    {
        await RunPeerAsync("dbus-send", "--bus=" + Daemon.Address, "--print-reply", "--dest=" + TestService.BusName, "/any/path", "org.freedesktop.DBus.Peer.Ping");
        if (File.Exists("/etc/machine-id"))
        {
            var id = await RunPeerAsync("dbus-send", "--bus=" + Daemon.Address, "--print-reply=literal", "--dest=" + TestService.BusName, "/", "org.freedesktop.DBus.Peer.GetMachineId");
            id.Trim().Should().Be((await File.ReadAllTextAsync("/etc/machine-id")).Trim());
        }
    }

    private async Task EmitUntilAsync(Task listener, int value)
    {
        // The listener needs a moment to subscribe; emit until it has seen one (bounded).
        var stopwatch = Stopwatch.StartNew();
        while (!listener.IsCompleted && stopwatch.Elapsed < PeerTimeout)
        {
            using var body = VirtualMedia.DBus.MessageBody.Create("i");
            body.WriteInt32(value);
            using var reply = await CallAsync("Emit", body);
            await Task.WhenAny(listener, Task.Delay(100));
        }
    }
}
