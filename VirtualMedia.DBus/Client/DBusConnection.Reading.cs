using System.Buffers;
using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace VirtualMedia.DBus;

/// <content>The reader thread: framing, parsing, refusing bad messages, and dispatching.</content>
public sealed partial class DBusConnection
{
    private const int InitialReceiveBuffer = 64 * 1024;

    private void ReadLoop()
    {
        Exception? reason = null;
        var fds = new Queue<SafeFileHandle>();
        var buffer = new byte[Math.Max(InitialReceiveBuffer, _leftover.Length)];
        _leftover.CopyTo(buffer, 0);
        var start = 0;
        var end = _leftover.Length;
        var skip = 0;
        try
        {
            while (true)
            {
                while (end > start)
                {
                    if (skip > 0)
                    {
                        var skipped = Math.Min(skip, end - start);
                        start += skipped;
                        skip -= skipped;
                        continue;
                    }

                    if (end - start < MessageParser.FixedHeaderLength)
                    {
                        break;
                    }

                    var frame = MessageParser.ReadFrame(buffer.AsSpan(start, MessageParser.FixedHeaderLength));
                    var needed = Needed(frame);
                    if (end - start < needed)
                    {
                        break;
                    }

                    if (frame.Length > _options.MaxMessageSize)
                    {
                        // Only its header was buffered (when that fits the limit); the rest is dropped as it arrives.
                        Refuse(buffer.AsSpan(start, needed), fds, DBusErrorNames.LimitsExceeded, $"message of {frame.Length} bytes exceeds the limit of {_options.MaxMessageSize}");
                        skip = frame.Length;
                        continue;
                    }

                    var message = Parse(buffer.AsSpan(start, frame.Length), fds, frame);
                    start += frame.Length;
                    if (message is not null)
                    {
                        Dispatch(message);
                    }
                }

                (buffer, start, end) = MakeRoom(buffer, start, end);
                var received = _socket.Receive(buffer.AsSpan(end), fds);
                if (received == 0)
                {
                    if (Volatile.Read(ref _closed) == 0)
                    {
                        reason = new DBusConnectionClosedException("the peer closed the D-Bus connection");
                    }

                    break;
                }

                end += received;
            }
        }
#pragma warning disable CA1031 // Whatever ends the reader ends the connection; Completion carries it.
        catch (Exception e)
#pragma warning restore CA1031
        {
            reason = Volatile.Read(ref _closed) == 0 ? e : null;
        }
        finally
        {
            while (fds.TryDequeue(out var fd))
            {
                fd.Dispose();
            }

            Close(reason);
            _socket.Dispose();
            _readerDone.TrySetResult();
        }
    }

    // How much of a message must be buffered before it is handled: all of it, or of one over the limit
    // only its header (when the header fits the limit), so what is buffered never exceeds the limit.
    private int Needed(MessageFrame frame) =>
        frame.Length <= _options.MaxMessageSize ? frame.Length
        : frame.HeaderLength <= _options.MaxMessageSize ? frame.HeaderLength
        : MessageParser.FixedHeaderLength;

    private (byte[] Buffer, int Start, int End) MakeRoom(byte[] buffer, int start, int end)
    {
        if (start == end)
        {
            return (buffer.Length > InitialReceiveBuffer ? new byte[InitialReceiveBuffer] : buffer, 0, 0);
        }

        var needed = end - start >= MessageParser.FixedHeaderLength
            ? Needed(MessageParser.ReadFrame(buffer.AsSpan(start, MessageParser.FixedHeaderLength)))
            : MessageParser.FixedHeaderLength;
        if (buffer.Length - start >= needed && end < buffer.Length)
        {
            return (buffer, start, end);
        }

        var target = needed > buffer.Length ? new byte[needed] : buffer;
        buffer.AsSpan(start, end - start).CopyTo(target);
        return (target, 0, end - start);
    }

    private DBusMessage? Parse(ReadOnlySpan<byte> frame, Queue<SafeFileHandle> fds, MessageFrame layout)
    {
        var bytes = ArrayPool<byte>.Shared.Rent(frame.Length);
        frame.CopyTo(bytes);
        var message = new DBusMessage();
        message.SetContent(bytes, frame.Length, frame.Length, [], ReturnBuffer);
        try
        {
            if (_parser.TryParse(message, bytes, frame.Length, fds, ReturnBuffer))
            {
                return message;
            }
        }
        catch (DBusProtocolException e)
        {
            message.Dispose();
            Refuse(frame[..layout.HeaderLength], fds, DBusErrorNames.InvalidArgs, e.Message);
            return null;
        }
        catch
        {
            message.Dispose();
            throw;
        }

        message.Dispose();
        return null;
    }

    /// <summary>Drops one message whose frame is sane but which is too big or malformed, answering it when it can.</summary>
    /// <remarks>
    /// <paramref name="header"/> is the message's whole header, or only its fixed part when even the header is
    /// over the limit. The fds still queued may be this message's: nobody can tell which, so all are closed
    /// (a later message that needed one of them is then refused in turn).
    /// </remarks>
    private void Refuse(ReadOnlySpan<byte> header, Queue<SafeFileHandle> fds, string errorName, string text)
    {
        while (fds.TryDequeue(out var fd))
        {
            fd.Dispose();
        }

        var type = (MessageType)header[1];
        var flags = (MessageFlags)header[2];
        var serial = header[0] == (byte)'B' ? BinaryPrimitives.ReadUInt32BigEndian(header[8..]) : BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
        string? sender = null;
        uint replySerial = 0;
        var known = header.Length > MessageParser.FixedHeaderLength && _parser.TryReadReturnAddress(header, out sender, out replySerial);
        if (type == MessageType.MethodCall && (flags & MessageFlags.NoReplyExpected) == 0 && serial != 0 && (known || !_isBus))
        {
            // On a bus the answer needs the caller's name; on a peer-to-peer connection the peer is the caller.
            var destination = sender;
            ThreadPool.UnsafeQueueUserWorkItem(_ => TrySendError(serial, destination, errorName, text), null);
        }
        else if (type is MessageType.MethodReturn or MessageType.Error && _pending.TryRemove(replySerial, out var pending))
        {
            pending.Fail(new DBusErrorException(errorName, $"the reply was refused: {text}"));
        }
    }

    private static void ReturnBuffer(byte[] buffer) => ArrayPool<byte>.Shared.Return(buffer);

    private void Dispatch(DBusMessage message)
    {
        switch (message.Type)
        {
            case MessageType.MethodReturn or MessageType.Error:
                if (_pending.TryRemove(message.ReplySerial, out var pending))
                {
                    pending.Complete(message);
                }
                else
                {
                    message.Dispose();
                }

                break;
            case MessageType.Signal:
                using (message)
                {
                    foreach (var subscription in Volatile.Read(ref _matches))
                    {
                        if (subscription.Rule.Matches(message))
                        {
                            subscription.Handler(message);
                        }
                    }
                }

                break;
            default:
                ThreadPool.UnsafeQueueUserWorkItem(new IncomingCall(this, message), preferLocal: false);
                break;
        }
    }
}
