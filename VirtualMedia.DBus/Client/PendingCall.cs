namespace VirtualMedia.DBus;

/// <summary>A method call waiting for its reply, its deadline and its cancellation.</summary>
internal sealed class PendingCall
{
    private readonly TaskCompletionSource<DBusMessage> _reply = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenRegistration _registration;

    public PendingCall(string member, long deadline)
    {
        Member = member;
        Deadline = deadline;
    }

    public string Member { get; }

    /// <summary>Environment.TickCount64 at which the call times out.</summary>
    public long Deadline { get; }

    public Task<DBusMessage> Task => _reply.Task;

    public void SetRegistration(CancellationTokenRegistration registration) => _registration = registration;

    /// <summary>Completes with the reply (ownership passes to the caller) or its error.</summary>
    public void Complete(DBusMessage reply)
    {
        _registration.Dispose();
        if (reply.Type == MessageType.Error)
        {
            var text = reply.Signature.StartsWith('s') ? reply.GetReader().ReadString() : string.Empty;
            var error = new DBusErrorException(reply.ErrorName!, text);
            reply.Dispose();
            _reply.TrySetException(error);
        }
        else if (!_reply.TrySetResult(reply))
        {
            reply.Dispose();
        }
    }

    public void Fail(Exception error)
    {
        _registration.Dispose();
        _reply.TrySetException(error);
    }

    public void Cancel(CancellationToken cancellationToken)
    {
        _registration.Dispose();
        _reply.TrySetCanceled(cancellationToken);
    }
}
