using VirtualMedia.DBus;

namespace VirtualMedia.Tests.DBus;

/// <summary>Builds and parses whole messages in memory, for byte-level tests of the wire format.</summary>
internal static class WireMessages
{
    /// <summary>The bytes of a method call carrying <paramref name="body"/> (header and body, as sent).</summary>
    public static byte[] MethodCall(MessageBody? body, uint serial = 1, string path = "/a", string member = "M", MessageFlags flags = MessageFlags.None, string? interfaceName = null)
    {
        using var header = MessageSerializer.WriteHeader(MessageType.MethodCall, flags, serial, body, path, interfaceName, member);
        return [.. header.Span, .. body is null ? [] : body.Span];
    }

    /// <summary>Parses one message (throws <see cref="DBusProtocolException"/> when malformed).</summary>
    public static DBusMessage Parse(byte[] bytes, int fdCount = 0)
    {
        var parser = new MessageParser();
        var length = MessageParser.ReadFrame(bytes.AsSpan(0, MessageParser.FixedHeaderLength)).Length;
        if (length != bytes.Length)
        {
            throw new DBusProtocolException($"frame of {length} bytes, {bytes.Length} given");
        }

        var fds = new Queue<Microsoft.Win32.SafeHandles.SafeFileHandle>();
        for (var i = 0; i < fdCount; i++)
        {
            fds.Enqueue(UnixPipe.WithContent(string.Empty));
        }

        var message = new DBusMessage();
        try
        {
            parser.TryParse(message, bytes, bytes.Length, fds, _ => { }).Should().BeTrue();
            return message;
        }
        catch
        {
            message.Dispose();
            throw;
        }
        finally
        {
            while (fds.TryDequeue(out var fd))
            {
                fd.Dispose();
            }
        }
    }
}
