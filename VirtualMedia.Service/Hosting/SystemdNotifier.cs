using System.Net.Sockets;
using System.Text;

namespace VirtualMedia.Service.Hosting;

/// <summary>Tells systemd (<c>Type=notify</c>) the service's state through <c>$NOTIFY_SOCKET</c>; nothing when it is unset.</summary>
internal static class SystemdNotifier
{
    /// <summary>Sends <paramref name="state"/> ("READY=1", "STOPPING=1"); returns why it could not, or null.</summary>
    public static string? Notify(string state) => Notify(state, Environment.GetEnvironmentVariable("NOTIFY_SOCKET"));

    /// <summary>The same, to the socket <paramref name="path"/> names as <c>$NOTIFY_SOCKET</c> would.</summary>
    public static string? Notify(string state, string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }

        try
        {
            // sd_notify(3): a leading '@' names a socket in the abstract namespace, whose name starts with a NUL byte.
            var endpoint = new UnixDomainSocketEndPoint(path[0] == '@' ? "\0" + path[1..] : path);
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            socket.SendTo(Encoding.UTF8.GetBytes(state), endpoint);
            return null;
        }
        catch (Exception e) when (e is SocketException or ArgumentException)
        {
            // ArgumentException: a path too long for a socket address; systemd's own never is.
            return e.Message;
        }
    }
}
