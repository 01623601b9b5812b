using System.Net.Sockets;
using System.Text;
using VirtualMedia.Service.Hosting;

namespace VirtualMedia.Tests.Service;

public sealed class SystemdNotifierTests
{
    [Test]
    public async Task A_socket_in_the_abstract_namespace_is_named_with_a_leading_at_sign()
    {
        var name = "virtual-media-test-" + Guid.NewGuid().ToString("N");
        using var systemd = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        systemd.Bind(new UnixDomainSocketEndPoint("\0" + name));

        SystemdNotifier.Notify("READY=1", "@" + name).Should().BeNull();

        var buffer = new byte[64];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var received = await systemd.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
        Encoding.UTF8.GetString(buffer, 0, received).Should().Be("READY=1");
    }

    [Test]
    public void Without_NOTIFY_SOCKET_nothing_is_sent_and_nothing_fails()
    {
        SystemdNotifier.Notify("READY=1", null).Should().BeNull();
        SystemdNotifier.Notify("READY=1", string.Empty).Should().BeNull();
    }

    [Test]
    public void A_socket_nobody_listens_on_is_reported_not_thrown()
    {
        var path = Path.Combine(Path.GetTempPath(), "virtual-media-test-" + Guid.NewGuid().ToString("N") + ".sock");

        SystemdNotifier.Notify("STOPPING=1", path).Should().NotBeNullOrEmpty();
    }

    [Test]
    public void A_path_too_long_for_a_socket_address_is_reported_not_thrown()
    {
        SystemdNotifier.Notify("READY=1", "/run/" + new string('x', 200)).Should().NotBeNullOrEmpty();
    }
}
