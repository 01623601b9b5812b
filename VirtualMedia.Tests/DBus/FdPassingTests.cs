using System.Diagnostics;
using VirtualMedia.DBus;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.DBus;

/// <summary>Unix fds in both directions: our client and server, and libdbus (python3-dbus) as the independent peer.</summary>
/// <remarks>busctl (systemd 252), gdbus call and dbus-send cannot pass fds from the command line; dbus-python can.</remarks>
public sealed class FdPassingTests : BusTestBase
{
    private const string Secret = "user\0password\0";

    private const string PythonService = """
        import dbus, dbus.service, dbus.mainloop.glib, os, sys
        from gi.repository import GLib
        dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
        bus = dbus.bus.BusConnection(sys.argv[1])
        class Service(dbus.service.Object):
            @dbus.service.method("org.virtualmedia.Python1", in_signature="h", out_signature="s")
            def ReadFd(self, fd):
                n = fd.take()
                data = os.read(n, 4096)
                os.close(n)
                return data.decode()
            @dbus.service.method("org.virtualmedia.Python1", in_signature="", out_signature="h")
            def MakeFd(self):
                r, w = os.pipe()
                os.write(w, b"from python")
                os.close(w)
                return dbus.types.UnixFd(r)
        name = dbus.service.BusName("org.virtualmedia.Python", bus)
        Service(bus, "/python")
        print("ready", flush=True)
        GLib.MainLoop().run()
        """;

    private const string PythonClient = """
        import dbus, os, sys
        bus = dbus.bus.BusConnection(sys.argv[1])
        obj = bus.get_object("org.virtualmedia.TestService", "/org/virtualmedia/test/Object_1", introspect=False)
        r, w = os.pipe()
        os.write(w, b"user\0password\0")
        os.close(w)
        ok = obj.Mount("https://host/p.iso", True, dbus.types.UnixFd(r), dbus_interface="org.virtualmedia.Test1", signature="sbh")
        fd = obj.MakeFd(dbus_interface="org.virtualmedia.Test1").take()
        print(bool(ok), os.read(fd, 4096).decode())
        """;

    [Test]
    public async Task Our_client_passes_a_pipe_to_our_server()
    {
        using var pipe = UnixPipe.WithContent(Secret);
        var body = MessageBody.Create("sbh");
        body.WriteString("https://host/image.iso");
        body.WriteBool(false);
        body.WriteUnixFd(pipe);

        using var reply = await CallAsync("Mount", body);

        reply.GetReader().ReadBool().Should().BeTrue();
        Service.LastMount.Should().Be(("sbh", "https://host/image.iso", false, Secret));
        pipe.IsClosed.Should().BeFalse("the caller keeps ownership of what it sends");
    }

    [Test]
    public async Task Our_server_returns_an_fd_to_our_client()
    {
        using var reply = await CallAsync("MakeFd");

        reply.UnixFdCount.Should().Be(1);
        using var fd = reply.GetReader().ReadUnixFd();
        UnixPipe.ReadAll(fd).Should().Be(TestService.ServerFdText);
    }

    [Test]
    public async Task Fds_nobody_takes_are_closed_with_the_message()
    {
        for (var i = 0; i < 20; i++)
        {
            string pipe;
            using (var reply = await CallAsync("MakeFd"))
            {
                // The pipe each call sends is told apart by its inode; the server's copy is closed by the reply body once sent.
                var sent = Service.LastMadeFd!;
                pipe = sent.OpenOn;
                (await Task.WhenAny(sent.Closed, Task.Delay(PeerTimeout))).Should().BeSameAs(sent.Closed, "the server closes its copy of {0} once the reply is sent", pipe);
                reply.UnixFdCount.Should().Be(1);
                UnixPipe.FdsOpenOn(pipe).Should().ContainSingle("the server closed its copy: only the fd the unread reply brought is open on {0}", pipe);
            }

            UnixPipe.FdsOpenOn(pipe).Should().BeEmpty("call {0}: disposing the reply closes the fd nobody took", i);
        }
    }

    [Test]
    public async Task Libdbus_client_passes_an_fd_to_our_server_and_receives_one_from_it()
    {
        var python = RequirePythonDbus();

        var result = await ExternalProcess.RunAsync(python, ["-c", PythonClient, Daemon.Address], PeerTimeout);

        result.EnsureSuccess("python3-dbus client");
        result.StandardOutput.Trim().Should().Be("True " + TestService.ServerFdText);
        Service.LastMount.Should().Be(("sbh", "https://host/p.iso", true, Secret));
    }

    [Test]
    public async Task Our_client_passes_an_fd_to_a_libdbus_server_and_receives_one_from_it()
    {
        var python = RequirePythonDbus();
        using var server = ExternalProcess.Start(python, ["-c", PythonService, Daemon.Address]);
        try
        {
            (await server.StandardOutput.ReadLineAsync().WaitAsync(PeerTimeout)).Should().Be("ready");
            using var pipe = UnixPipe.WithContent("from dotnet");
            var body = MessageBody.Create("h");
            body.WriteUnixFd(pipe);

            using (var reply = await Client.CallMethodAsync("org.virtualmedia.Python", "/python", "org.virtualmedia.Python1", "ReadFd", body, PeerTimeout))
            {
                reply.GetReader().ReadString().Should().Be("from dotnet");
            }

            using var made = await Client.CallMethodAsync("org.virtualmedia.Python", "/python", "org.virtualmedia.Python1", "MakeFd", timeout: PeerTimeout);
            using var fd = made.GetReader().ReadUnixFd();
            UnixPipe.ReadAll(fd).Should().Be("from python");
        }
        finally
        {
            await ExternalProcess.StopAsync(server);
        }
    }

    private static string RequirePythonDbus()
    {
        var python = Require.Tool("/usr/bin/python3");
        using var check = Process.Start(new ProcessStartInfo(python, ["-c", "import dbus, dbus.mainloop.glib, gi"]) { RedirectStandardError = true })!;
        check.WaitForExit();
        if (check.ExitCode != 0)
        {
            Require.Missing("python3-dbus and python3-gi are not installed");
        }

        return python;
    }
}
