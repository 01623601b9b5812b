using System.Globalization;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace VirtualMedia.DBus;

/// <summary>The SASL exchange before D-Bus messages flow: EXTERNAL (uid), ANONYMOUS fallback, unix-fd negotiation.</summary>
internal sealed class SaslHandshake
{
    private const int MaxLineLength = 4096;
    private const int MaxLines = 32;

    private readonly UnixSocket _socket;
    private readonly byte[] _buffer = new byte[MaxLineLength];
    private readonly Queue<SafeFileHandle> _strayFds = new();
    private int _start;
    private int _end;
    private int _lines;

    private SaslHandshake(UnixSocket socket)
    {
        _socket = socket;
    }

    /// <summary>Authenticates as a client; returns true when the peer agreed to pass unix fds.</summary>
    public static bool AuthenticateClient(UnixSocket socket)
    {
        var handshake = new SaslHandshake(socket);
        try
        {
            return handshake.RunClient();
        }
        finally
        {
            handshake.CloseStrayFds();
        }
    }

    /// <summary>Authenticates a connecting peer (EXTERNAL, its uid must be ours or root); returns fd support and bytes that followed BEGIN.</summary>
    public static (bool UnixFds, byte[] Leftover) AuthenticateServer(UnixSocket socket, Guid serverId)
    {
        var handshake = new SaslHandshake(socket);
        try
        {
            return handshake.RunServer(serverId);
        }
        finally
        {
            handshake.CloseStrayFds();
        }
    }

    private bool RunClient()
    {
        var uid = UnixSocket.EffectiveUserId().ToString(CultureInfo.InvariantCulture);
        Send("\0AUTH EXTERNAL " + Convert.ToHexStringLower(Encoding.ASCII.GetBytes(uid)) + "\r\n");
        var reply = ReadLine();
        if (reply.StartsWith("REJECTED", StringComparison.Ordinal) && reply.Contains("ANONYMOUS", StringComparison.Ordinal))
        {
            Send("AUTH ANONYMOUS\r\n");
            reply = ReadLine();
        }

        if (!reply.StartsWith("OK ", StringComparison.Ordinal))
        {
            throw new DBusAuthenticationException($"the bus refused authentication: '{reply}'");
        }

        Send("NEGOTIATE_UNIX_FD\r\n");
        var unixFds = ReadLine() == "AGREE_UNIX_FD";
        Send("BEGIN\r\n");
        return unixFds;
    }

    private (bool UnixFds, byte[] Leftover) RunServer(Guid serverId)
    {
        if (ReadByte() != 0)
        {
            throw new DBusAuthenticationException("the peer did not start with the NUL byte");
        }

        var authenticated = false;
        var unixFds = false;
        var expectingData = false;
        while (true)
        {
            var line = ReadLine();
            var (command, argument) = Split(line);
            if (expectingData && command == "DATA")
            {
                expectingData = false;
                authenticated = Accept(argument, serverId);
                continue;
            }

            expectingData = false;
            switch (command)
            {
                case "AUTH" when !authenticated && argument.StartsWith("EXTERNAL", StringComparison.Ordinal):
                    var initial = argument.Length > "EXTERNAL".Length ? argument["EXTERNAL ".Length..] : null;
                    if (initial is null)
                    {
                        Send("DATA\r\n");
                        expectingData = true;
                    }
                    else
                    {
                        authenticated = Accept(initial, serverId);
                    }

                    break;
                case "AUTH" or "CANCEL" when !authenticated:
                    Send("REJECTED EXTERNAL\r\n");
                    break;
                case "NEGOTIATE_UNIX_FD" when authenticated:
                    unixFds = true;
                    Send("AGREE_UNIX_FD\r\n");
                    break;
                case "BEGIN" when authenticated:
                    return (unixFds, _buffer[_start.._end]);
                default:
                    Send("ERROR \"unexpected command\"\r\n");
                    break;
            }
        }
    }

    private bool Accept(string hexIdentity, Guid serverId)
    {
        var peer = _socket.PeerUserId();
        var claimed = peer.ToString(CultureInfo.InvariantCulture);
        if (hexIdentity.Length > 0)
        {
            try
            {
                claimed = Encoding.ASCII.GetString(Convert.FromHexString(hexIdentity));
            }
            catch (FormatException)
            {
                claimed = string.Empty;
            }
        }

        var allowed = claimed == peer.ToString(CultureInfo.InvariantCulture)
            && (peer == 0 || peer == UnixSocket.EffectiveUserId());
        Send(allowed ? "OK " + serverId.ToString("N") + "\r\n" : "REJECTED EXTERNAL\r\n");
        return allowed;
    }

    private static (string Command, string Argument) Split(string line)
    {
        var space = line.IndexOf(' ', StringComparison.Ordinal);
        return space < 0 ? (line, string.Empty) : (line[..space], line[(space + 1)..]);
    }

    private void Send(string text) => _socket.Send(Encoding.ASCII.GetBytes(text), [], []);

    private byte ReadByte()
    {
        if (_start == _end)
        {
            Fill();
        }

        return _buffer[_start++];
    }

    private string ReadLine()
    {
        if (++_lines > MaxLines)
        {
            throw new DBusAuthenticationException("the authentication exchange went on too long");
        }

        while (true)
        {
            var newline = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n"u8);
            if (newline >= 0)
            {
                var line = Encoding.ASCII.GetString(_buffer, _start, newline);
                _start += newline + 2;
                return line;
            }

            if (_start > 0)
            {
                _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                _end -= _start;
                _start = 0;
            }

            if (_end == _buffer.Length)
            {
                throw new DBusAuthenticationException("an authentication line is too long");
            }

            Fill();
        }
    }

    private void Fill()
    {
        var received = _socket.Receive(_buffer.AsSpan(_end), _strayFds);
        if (received == 0)
        {
            throw new DBusAuthenticationException("the peer closed the connection during authentication");
        }

        _end += received;
    }

    private void CloseStrayFds()
    {
        while (_strayFds.TryDequeue(out var fd))
        {
            fd.Dispose();
        }
    }
}
