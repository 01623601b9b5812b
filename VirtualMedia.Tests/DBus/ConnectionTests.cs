using VirtualMedia.DBus;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.DBus;

/// <summary>Addresses, authentication mechanisms and bus signals of the connection itself.</summary>
public sealed class ConnectionTests
{
    [TestCase("unix:path=/run/dbus/system_bus_socket", "/run/dbus/system_bus_socket", null)]
    [TestCase("unix:path=/tmp/a%20b,guid=0123", "/tmp/a b", null)]
    [TestCase("tcp:host=x,port=1;unix:abstract=/tmp/dbus-x,guid=ff", null, "/tmp/dbus-x")]
    public void Addresses_parse(string address, string? path, string? abstractName)
    {
        var parsed = DBusAddress.Parse(address);

        parsed.Path.Should().Be(path);
        parsed.AbstractName.Should().Be(abstractName);
    }

    [TestCase("tcp:host=x,port=1")]
    [TestCase("unix:path=/a,abstract=b")]
    [TestCase("unix:guid=1")]
    public void Addresses_without_a_usable_unix_socket_are_refused(string address)
    {
        FluentActions.Invoking(() => DBusAddress.Parse(address)).Should().Throw<FormatException>();
    }

    [Test]
    public async Task Peer_to_peer_over_an_abstract_socket()
    {
        var tree = new DBusObjectTree();
        var service = new TestService();
        service.Register(tree);
        var name = "vm-test-" + Guid.NewGuid().ToString("N");
        await using var server = DBusServer.Listen("unix:abstract=" + name, tree);
        await using var client = await DBusConnection.ConnectPeerAsync("unix:abstract=" + name);

        using var reply = await client.CallMethodAsync(null, TestService.Path, TestService.Interface, "Increment");

        reply.GetReader().ReadInt32().Should().Be(1);
        client.UniqueName.Should().BeNull();
        client.UnixFdsSupported.Should().BeTrue();
    }

    [Test]
    public async Task Anonymous_authentication_when_the_bus_offers_only_that()
    {
        await using var daemon = await DBusDaemon.StartAsync(anonymous: true);

        await using var connection = await DBusConnection.ConnectAsync(daemon.Address);

        connection.UniqueName.Should().StartWith(":");
    }

    [Test]
    public async Task Name_owner_changes_arrive_as_signals()
    {
        await using var daemon = await DBusDaemon.StartAsync();
        await using var watcher = await DBusConnection.ConnectAsync(daemon.Address);
        await using var owner = await DBusConnection.ConnectAsync(daemon.Address);
        var changed = new TaskCompletionSource<object[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var subscription = await watcher.AddMatchAsync(
            new MatchRule { Sender = "org.freedesktop.DBus", Interface = "org.freedesktop.DBus", Member = "NameOwnerChanged", Arg0 = "org.virtualmedia.Watched" },
            message => changed.TrySetResult((object[])DBusValue.Read(message.GetReader(), "(sss)")));

        await owner.RequestNameAsync("org.virtualmedia.Watched");

        (await changed.Task.WaitAsync(TimeSpan.FromSeconds(10))).Should().Equal("org.virtualmedia.Watched", string.Empty, owner.UniqueName!);
    }

    [Test]
    public async Task Connecting_to_nothing_fails_clearly()
    {
        using var directory = new TempDirectory();

        await FluentActions.Awaiting(() => DBusConnection.ConnectAsync("unix:path=" + directory.Combine("none")))
            .Should().ThrowAsync<System.Net.Sockets.SocketException>();
    }
}
