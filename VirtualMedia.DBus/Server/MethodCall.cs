namespace VirtualMedia.DBus;

/// <summary>Handles one signature of a method: read the arguments, return the reply body (null: empty reply) or throw a <see cref="DBusErrorException"/>.</summary>
/// <remarks>The token is cancelled when the caller's connection closes.</remarks>
public delegate ValueTask<MessageBody?> MethodHandler(MethodCall call, CancellationToken cancellationToken);

/// <summary>An incoming method call as a handler sees it.</summary>
public sealed class MethodCall
{
    private readonly TaskCompletionSource _answered = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal MethodCall(DBusConnection connection, DBusMessage message)
    {
        Connection = connection;
        Message = message;
    }

    /// <summary>
    /// Completes once the handler's reply or error has been sent (or none will be): work a handler starts in the
    /// background waits on it so that the caller hears the answer before any signal that work emits.
    /// </summary>
    public Task Answered => _answered.Task;

    /// <summary>The connection the call came in on (to emit signals or call back).</summary>
    public DBusConnection Connection { get; }

    /// <summary>The received message; valid until the handler's task completes.</summary>
    public DBusMessage Message { get; }

    /// <summary>The caller's unique bus name (null on a peer-to-peer connection).</summary>
    public string? Sender => Message.Sender;

    /// <summary>The object path called.</summary>
    public string Path => Message.Path!;

    /// <summary>The interface called (resolved when the caller gave none).</summary>
    public string? Interface => Message.Interface;

    /// <summary>The method name.</summary>
    public string Member => Message.Member!;

    /// <summary>The signature of the arguments.</summary>
    public string Signature => Message.Signature;

    /// <summary>True when the caller asked for no reply (the library then sends none).</summary>
    public bool NoReplyExpected => (Message.Flags & MessageFlags.NoReplyExpected) != 0;

    /// <summary>A reader over the arguments, at the first one. Unix fds read from it are the handler's to dispose.</summary>
    public MessageReader Reader => Message.GetReader();

    /// <summary>Rents a reply body for values of <paramref name="signature"/>; return it from the handler.</summary>
    public static MessageBody CreateReply(string signature) => MessageBody.Create(signature);

    internal void MarkAnswered() => _answered.TrySetResult();
}
