using System.Net.Sockets;
using VirtualMedia.DBus;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.DBus;

/// <summary>What <see cref="DBusServer.Listen"/> does with a file already at its socket path.</summary>
public sealed class ServerSocketFileTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private TempDirectory _directory = null!;
    private DBusObjectTree _tree = null!;

    private string Path => _directory.Combine("peer");

    private string Address => "unix:path=" + Path;

    [SetUp]
    public void CreateDirectory()
    {
        _directory = new TempDirectory("vm-dbus-listen");
        _tree = new DBusObjectTree();
        new TestService().Register(_tree);
    }

    [TearDown]
    public void RemoveDirectory() => _directory.Dispose();

    [Test]
    public async Task A_socket_left_behind_by_a_dead_server_is_replaced()
    {
        // A killed server leaves its socket file; moving it away from the path it was bound at keeps .NET's
        // dispose from removing it, which gives the same state.
        using (var dead = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            dead.Bind(new UnixDomainSocketEndPoint(_directory.Combine("bound")));
            dead.Listen(1);
            File.Move(_directory.Combine("bound"), Path);
        }

        File.Exists(Path).Should().BeTrue();

        await using var server = DBusServer.Listen(Address, _tree);

        await using var client = await DBusConnection.ConnectPeerAsync(Address);
        using var reply = await client.CallMethodAsync(null, TestService.Path, TestService.Interface, "Increment", timeout: Timeout);
        reply.GetReader().ReadInt32().Should().Be(1);
    }

    [Test]
    public async Task A_live_server_socket_is_not_taken_over()
    {
        await using var live = DBusServer.Listen(Address, _tree);

        FluentActions.Invoking(() => DBusServer.Listen(Address, _tree))
            .Should().Throw<IOException>().WithMessage($"*{Path}*in use*");

        await using var client = await DBusConnection.ConnectPeerAsync(Address);
        using var reply = await client.CallMethodAsync(null, TestService.Path, TestService.Interface, "Increment", timeout: Timeout);
        reply.GetReader().ReadInt32().Should().Be(1, "the live server still serves");
    }

    [Test]
    public async Task A_file_that_is_not_a_socket_is_left_alone()
    {
        await File.WriteAllTextAsync(Path, "keep me");

        FluentActions.Invoking(() => DBusServer.Listen(Address, _tree))
            .Should().Throw<IOException>().WithMessage($"*{Path}*not a socket*");

        (await File.ReadAllTextAsync(Path)).Should().Be("keep me");
    }
}
