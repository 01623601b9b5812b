using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using Microsoft.Win32.SafeHandles;

namespace VirtualMedia.DBus;

/// <content>Sending, the reader thread, replies, timeouts and shutdown.</content>
public sealed partial class DBusConnection
{
    private const string BusName = "org.freedesktop.DBus";
    private const string BusPath = "/org/freedesktop/DBus";
    private const int InitialReceiveBuffer = 64 * 1024;
    private static readonly TimeSpan TimeoutScanPeriod = TimeSpan.FromMilliseconds(100);

    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _readerDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<uint, PendingCall> _pending = new();
    private readonly CancellationTokenSource _closing = new();
    private readonly Lock _sendLock = new();
    private readonly Lock _matchLock = new();
    private readonly UnixSocket _socket;
    private readonly DBusConnectionOptions _options;
    private readonly MessageParser _parser;
    private readonly Timer _timeouts;
    private readonly bool _isBus;
    private readonly byte[] _leftover;
    private MatchSubscription[] _matches = [];
    private int _serial;
    private int _closed;
    private int _timeoutScanArmed;

    private DBusConnection(UnixSocket socket, DBusConnectionOptions options, bool isBus, bool unixFds, byte[] leftover)
    {
        _socket = socket;
        _options = options;
        _isBus = isBus;
        _leftover = leftover;
        UnixFdsSupported = unixFds;
        _parser = new MessageParser();
        Objects = options.Objects ?? new DBusObjectTree();
        _timeouts = new Timer(static state => ((DBusConnection)state!).ExpireCalls(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Closes the connection: pending calls fail, handlers' tokens are cancelled, <see cref="Completion"/> completes.</summary>
    public async ValueTask DisposeAsync()
    {
        Close(null);
        await _readerDone.Task.ConfigureAwait(false);
    }

    /// <summary>Wraps an accepted, authenticated peer socket (used by <see cref="DBusServer"/>).</summary>
    internal static DBusConnection StartAccepted(UnixSocket socket, DBusConnectionOptions options, bool unixFds, byte[] leftover)
    {
        var connection = new DBusConnection(socket, options, isBus: false, unixFds, leftover);
        connection.Start();
        return connection;
    }

    internal void TrySendSignal(string path, string interfaceName, string member, MessageBody? body)
    {
        try
        {
            Send(MessageType.Signal, MessageFlags.NoReplyExpected, NextSerial(), body, path, interfaceName, member);
        }
        catch (DBusConnectionClosedException)
        {
            // This connection is going away; its reader reports why through Completion.
        }
    }

    internal async Task HandleCallAsync(DBusMessage message)
    {
        MessageBody? reply = null;
        DBusErrorException? error = null;
        try
        {
            try
            {
                reply = await CallDispatcher.DispatchAsync(Objects, new MethodCall(this, message), _closing.Token).ConfigureAwait(false);
            }
            catch (DBusErrorException e)
            {
                error = e;
            }
            catch (OperationCanceledException) when (_closing.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // A handler's bug must become an error reply, not kill the connection.
            catch (Exception e)
#pragma warning restore CA1031
            {
                // The exception text may hold details the caller must not see (URLs, paths): it goes to the event only.
                error = new DBusErrorException(DBusErrorNames.Failed, $"{message.Interface}.{message.Member} failed");
                Objects.ReportHandlerFailure(message, e);
            }

            if ((message.Flags & MessageFlags.NoReplyExpected) == 0 && Volatile.Read(ref _closed) == 0)
            {
                SendReply(message, reply, error);
            }
        }
        catch (DBusConnectionClosedException)
        {
            // The caller is gone; nobody is left to answer.
        }
        finally
        {
            reply?.Dispose();
            message.Dispose();
        }
    }

    internal async ValueTask RemoveMatchAsync(MatchSubscription subscription)
    {
        Unsubscribe(subscription);
        if (_isBus && Volatile.Read(ref _closed) == 0)
        {
            try
            {
                await CallBusAsync("RemoveMatch", subscription.Rule.ToString(), CancellationToken.None).ConfigureAwait(false);
            }
            catch (DBusConnectionClosedException)
            {
                // Closed meanwhile: the bus forgot the rule with the connection.
            }
        }
    }

    private static async Task<DBusConnection> ConnectCoreAsync(string address, DBusConnectionOptions options, bool isBus, CancellationToken cancellationToken)
    {
        var parsed = DBusAddress.Parse(address);
        var connection = await Task.Run(
            () =>
            {
                var socket = UnixSocket.Connect(parsed);
                try
                {
                    using var abort = cancellationToken.Register(socket.Shutdown);
                    var unixFds = SaslHandshake.AuthenticateClient(socket);
                    cancellationToken.ThrowIfCancellationRequested();
                    return new DBusConnection(socket, options, isBus, unixFds, []);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            cancellationToken).ConfigureAwait(false);
        connection.Start();
        if (isBus)
        {
            try
            {
                using var reply = await connection.CallMethodAsync(BusName, BusPath, BusName, "Hello", cancellationToken: cancellationToken).ConfigureAwait(false);
                connection.UniqueName = reply.GetReader().ReadString();
            }
            catch
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        return connection;
    }

    private void Start()
    {
        Objects.Attach(this);
        new Thread(ReadLoop) { IsBackground = true, Name = "D-Bus reader" }.Start();
    }

    private async Task<DBusMessage> CallCoreAsync(string? destination, string path, string interfaceName, string member, MessageBody? body, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var serial = NextSerial();
        var wait = timeout ?? _options.DefaultCallTimeout;
        var pending = new PendingCall(member, Environment.TickCount64 + (long)wait.TotalMilliseconds);
        _pending[serial] = pending;
        ArmTimeoutScan();
        try
        {
            Send(MessageType.MethodCall, MessageFlags.None, serial, body, path, interfaceName, member, destination: destination);
        }
        catch
        {
            _pending.TryRemove(serial, out _);
            throw;
        }
        finally
        {
            body?.Dispose();
        }

        if (cancellationToken.CanBeCanceled)
        {
            pending.SetRegistration(cancellationToken.UnsafeRegister(
                static (state, token) =>
                {
                    var (connection, serial) = ((DBusConnection, uint))state!;
                    if (connection._pending.TryRemove(serial, out var call))
                    {
                        call.Cancel(token);
                    }
                },
                (this, serial)));
        }

        return await pending.Task.ConfigureAwait(false);
    }

    private ValueTask SendNoReplyAsync(MessageType type, string? destination, string path, string interfaceName, string member, MessageBody? body, CancellationToken cancellationToken)
    {
        using (body)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Send(type, MessageFlags.NoReplyExpected, NextSerial(), body, path, interfaceName, member, destination: destination);
        }

        return ValueTask.CompletedTask;
    }

    private async Task<RequestNameReply> RequestNameCoreAsync(string name, RequestNameFlags flags, CancellationToken cancellationToken)
    {
        var body = MessageBody.Create("su");
        body.WriteString(name);
        body.WriteUInt32((uint)flags);
        using var reply = await CallMethodAsync(BusName, BusPath, BusName, "RequestName", body, cancellationToken: cancellationToken).ConfigureAwait(false);
        var result = (RequestNameReply)reply.GetReader().ReadUInt32();
        return result is RequestNameReply.PrimaryOwner or RequestNameReply.AlreadyOwner
            ? result
            : throw new DBusNameTakenException(name, result);
    }

    private async Task<ReleaseNameReply> ReleaseNameCoreAsync(string name, CancellationToken cancellationToken)
    {
        using var reply = await CallBusAsync("ReleaseName", name, cancellationToken).ConfigureAwait(false);
        return (ReleaseNameReply)reply.GetReader().ReadUInt32();
    }

    private async Task<IAsyncDisposable> AddMatchCoreAsync(MatchRule rule, Action<DBusMessage> handler, CancellationToken cancellationToken)
    {
        var subscription = new MatchSubscription(this, rule, handler);
        lock (_matchLock)
        {
            _matches = [.. _matches, subscription];
        }

        if (_isBus)
        {
            try
            {
                using var reply = await CallBusAsync("AddMatch", rule.ToString(), cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                Unsubscribe(subscription);
                throw;
            }
        }

        return subscription;
    }

    private void Unsubscribe(MatchSubscription subscription)
    {
        lock (_matchLock)
        {
            _matches = [.. _matches.Where(m => m != subscription)];
        }
    }

    private Task<DBusMessage> CallBusAsync(string member, string argument, CancellationToken cancellationToken)
    {
        var body = MessageBody.Create("s");
        body.WriteString(argument);
        return CallMethodAsync(BusName, BusPath, BusName, member, body, cancellationToken: cancellationToken);
    }

    private void SendReply(DBusMessage call, MessageBody? reply, DBusErrorException? error)
    {
        if (error is null)
        {
            Send(MessageType.MethodReturn, MessageFlags.NoReplyExpected, NextSerial(), reply, replySerial: call.Serial, destination: call.Sender);
            return;
        }

        using var body = MessageBody.Create("s");
        body.WriteString(error.ErrorMessage);
        Send(MessageType.Error, MessageFlags.NoReplyExpected, NextSerial(), body, errorName: error.ErrorName, replySerial: call.Serial, destination: call.Sender);
    }

    private uint NextSerial()
    {
        var serial = (uint)Interlocked.Increment(ref _serial);
        return serial == 0 ? (uint)Interlocked.Increment(ref _serial) : serial;
    }

    private void Send(MessageType type, MessageFlags flags, uint serial, MessageBody? body, string? path = null, string? interfaceName = null, string? member = null, string? errorName = null, uint replySerial = 0, string? destination = null)
    {
        if (body is not null && body.UnixFds.Count > 0 && !UnixFdsSupported)
        {
            throw new DBusException("the peer did not agree to pass unix fds on this connection");
        }

        using var header = MessageSerializer.WriteHeader(type, flags, serial, body, path, interfaceName, member, errorName, replySerial, destination);
        lock (_sendLock)
        {
            if (Volatile.Read(ref _closed) != 0)
            {
                throw new DBusConnectionClosedException("the D-Bus connection is closed", _completion.Task.Exception?.InnerException);
            }

            try
            {
                _socket.Send(header.Span, body is null ? default : body.Span, body?.UnixFds ?? []);
            }
            catch (DBusConnectionClosedException e)
            {
                Close(e);
                throw;
            }
        }
    }

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

    private void TrySendError(uint serial, string? destination, string errorName, string text)
    {
        try
        {
            using var body = MessageBody.Create("s");
            body.WriteString(text);
            Send(MessageType.Error, MessageFlags.NoReplyExpected, NextSerial(), body, errorName: errorName, replySerial: serial, destination: destination);
        }
        catch (DBusConnectionClosedException)
        {
            // The connection ended meanwhile: nobody is left to answer.
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

    private void ExpireCalls()
    {
        var now = Environment.TickCount64;
        foreach (var (serial, call) in _pending)
        {
            if (call.Deadline <= now && _pending.TryRemove(serial, out _))
            {
                call.Fail(new TimeoutException($"no reply to D-Bus call {call.Member} in time"));
            }
        }

        if (_pending.IsEmpty)
        {
            DisarmTimeoutScan();
        }
    }

    // The scan runs only while calls wait, so an idle connection never wakes its process.
    private void ArmTimeoutScan()
    {
        if (Interlocked.CompareExchange(ref _timeoutScanArmed, 1, 0) == 0)
        {
            ChangeTimeoutScan(TimeoutScanPeriod);
        }
    }

    private void DisarmTimeoutScan()
    {
        // Stop the timer before clearing the flag: a call registered after the clear arms it again
        // itself; one registered before found the flag set, so it is seen by the re-check.
        ChangeTimeoutScan(Timeout.InfiniteTimeSpan);
        Interlocked.Exchange(ref _timeoutScanArmed, 0);
        if (!_pending.IsEmpty)
        {
            ArmTimeoutScan();
        }
    }

    private void ChangeTimeoutScan(TimeSpan period)
    {
        try
        {
            _timeouts.Change(period, period);
        }
        catch (ObjectDisposedException)
        {
            // Close disposed the timer meanwhile, and fails every pending call itself.
        }
    }

    private void Close(Exception? reason)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        _closing.Cancel();
        _socket.Shutdown();
        _timeouts.Dispose();
        Objects.Detach(this);
        foreach (var serial in _pending.Keys)
        {
            if (_pending.TryRemove(serial, out var call))
            {
                call.Fail(new DBusConnectionClosedException("the D-Bus connection closed before the reply arrived", reason));
            }
        }

        if (reason is null)
        {
            _completion.TrySetResult();
        }
        else
        {
            _completion.TrySetException(reason);
        }
    }
}
