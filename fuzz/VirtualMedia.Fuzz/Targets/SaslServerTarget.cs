using System.Net.Sockets;
using VirtualMedia.DBus;
using VirtualMedia.Fuzz.Harness;

namespace VirtualMedia.Fuzz.Targets;

/// <summary>The server side of the SASL exchange (what a connecting D-Bus peer sends before its first message).</summary>
/// <remarks>Runs on a real socketpair, as the server runs on an accepted socket; the peer sends the input and shuts
/// its sending side. A refusal is a <see cref="DBusAuthenticationException"/>.</remarks>
public sealed class SaslServerTarget : IFuzzTarget
{
    /// <summary>More than the exchange's own limit (32 lines of 4 KiB), less than a socket's buffer.</summary>
    private const int MaxInput = 160 * 1024;

    private static readonly Guid ServerId = new("0123456789abcdef0123456789abcdef");

    public string Name => "sasl-server";

    public Task RunAsync(ReadOnlyMemory<byte> input)
    {
        var (serverEnd, peerEnd) = SocketPair.Create();
        using var peer = peerEnd;
        using var server = new UnixSocket(serverEnd);
        peer.Send(input.Span[..Math.Min(input.Length, MaxInput)]);
        peer.Shutdown(SocketShutdown.Send);
        try
        {
            var (_, leftover) = SaslHandshake.AuthenticateServer(server, ServerId);
            if (leftover.Length > input.Length)
            {
                throw new FuzzFindingException("the exchange returned more bytes after BEGIN than the peer sent");
            }
        }
        catch (DBusAuthenticationException)
        {
            // Refused: the server closes this connection only.
        }

        return Task.CompletedTask;
    }
}
