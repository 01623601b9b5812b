namespace VirtualMedia.Tests.DBus;

public sealed class SmokeTests : BusTestBase
{
    [Test]
    public async Task Client_calls_our_server_through_dbus_daemon()
    {
        using var first = await CallAsync("Increment");
        using var second = await CallAsync("Increment");

        (second.GetReader().ReadInt32() - first.GetReader().ReadInt32()).Should().Be(1);
        Client.UniqueName.Should().StartWith(":");
    }
}
