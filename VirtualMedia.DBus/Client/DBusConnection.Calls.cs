namespace VirtualMedia.DBus;

/// <content>Outgoing calls and messages, serials, sending, and the timeouts of calls awaiting replies.</content>
public sealed partial class DBusConnection
{
    private static readonly TimeSpan TimeoutScanPeriod = TimeSpan.FromMilliseconds(100);

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

    private void SendNoReply(MessageType type, string? destination, string path, string interfaceName, string member, MessageBody? body)
    {
        using (body)
        {
            Send(type, MessageFlags.NoReplyExpected, NextSerial(), body, path, interfaceName, member, destination: destination);
        }
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

    private Task<DBusMessage> CallBusAsync(string member, string argument, CancellationToken cancellationToken)
    {
        var body = MessageBody.Create("s");
        body.WriteString(argument);
        return CallMethodAsync(BusName, BusPath, BusName, member, body, cancellationToken: cancellationToken);
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
}
