using VirtualMedia.DBus;

namespace VirtualMedia.Tests.DBus;

/// <summary>A message over a connection's size limit, relayed by a real dbus-daemon, costs that message only.</summary>
public sealed class OversizedMessageTests : BusTestBase
{
    private const string PropertiesInterface = "org.freedesktop.DBus.Properties";

    [Test]
    public async Task An_oversized_call_gets_an_error_and_the_serving_connection_stays_up()
    {
        // What any user may send on the system bus: Get with a 4.3 MB interface name (the limit is 4 MiB).
        var body = MessageBody.Create("ss");
        body.WriteString(new string('a', 4_300_000));
        body.WriteString("Byte");

        var refused = await FluentActions.Awaiting(() => Client.CallMethodAsync(TestService.BusName, TestService.Path, PropertiesInterface, "Get", body, PeerTimeout))
            .Should().ThrowAsync<DBusErrorException>();

        refused.Which.ErrorName.Should().Be(DBusErrorNames.LimitsExceeded);
        Server.Completion.IsCompleted.Should().BeFalse("the serving connection must survive one oversized call");
        using var reply = await CallAsync("Increment");
        reply.GetReader().ReadInt32().Should().BePositive();
    }

    [Test]
    public async Task An_oversized_reply_fails_its_call_only()
    {
        await using var small = await DBusConnection.ConnectAsync(Daemon.Address, new DBusConnectionOptions { MaxMessageSize = 64 * 1024 });
        var body = MessageBody.Create("s");
        body.WriteString(new string('b', 100_000));

        var refused = await FluentActions.Awaiting(() => small.CallMethodAsync(TestService.BusName, TestService.Path, TestService.Interface, "Echo", body, PeerTimeout))
            .Should().ThrowAsync<DBusErrorException>();

        refused.Which.ErrorName.Should().Be(DBusErrorNames.LimitsExceeded);
        small.Completion.IsCompleted.Should().BeFalse();
        using var reply = await small.CallMethodAsync(TestService.BusName, TestService.Path, TestService.Interface, "Increment", timeout: PeerTimeout);
        reply.GetReader().ReadInt32().Should().BePositive();
    }
}
