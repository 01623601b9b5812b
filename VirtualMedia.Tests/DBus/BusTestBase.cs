using VirtualMedia.DBus;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.DBus;

/// <summary>A private dbus-daemon with a <see cref="TestService"/> served on it by our library, and a client connection.</summary>
public abstract class BusTestBase
{
    protected static readonly TimeSpan PeerTimeout = TimeSpan.FromSeconds(15);

    protected DBusDaemon Daemon { get; private set; } = null!;

    protected DBusConnection Server { get; private set; } = null!;

    protected DBusConnection Client { get; private set; } = null!;

    protected TestService Service { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task StartBusAsync()
    {
        Daemon = await DBusDaemon.StartAsync();
        Server = await DBusConnection.ConnectAsync(Daemon.Address);
        Service = new TestService();
        Service.Register(Server.Objects);
        await Server.RequestNameAsync(TestService.BusName);
        Client = await DBusConnection.ConnectAsync(Daemon.Address);
    }

    [OneTimeTearDown]
    public async Task StopBusAsync()
    {
        if (Client is not null)
        {
            await Client.DisposeAsync();
        }

        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        if (Daemon is not null)
        {
            await Daemon.DisposeAsync();
        }
    }

    /// <summary>Calls a method of the test object from <see cref="Client"/>.</summary>
    protected Task<DBusMessage> CallAsync(string member, MessageBody? body = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        Client.CallMethodAsync(TestService.BusName, TestService.Path, TestService.Interface, member, body, timeout ?? PeerTimeout, cancellationToken);

    /// <summary>Runs a real peer program against the private bus and returns its standard output (it must succeed).</summary>
    protected async Task<string> RunPeerAsync(string program, params string[] arguments)
    {
        var result = await RunPeerUncheckedAsync(program, arguments);
        result.EnsureSuccess(program);
        return result.StandardOutput;
    }

    /// <summary>Runs a real peer program against the private bus.</summary>
    protected Task<ProcessResult> RunPeerUncheckedAsync(string program, params string[] arguments) =>
        ExternalProcess.RunAsync(Require.Tool(program), arguments, PeerTimeout, Daemon.Environment);
}
