namespace VirtualMedia.DBus;

/// <content>Implementation (in progress).</content>
public sealed partial class DBusConnection
{
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private DBusConnection(DBusObjectTree objects)
    {
        Objects = objects;
    }

    /// <summary>Closes the connection.</summary>
    public ValueTask DisposeAsync() => throw new NotImplementedException();

    internal void TrySendSignal(string path, string interfaceName, string member, MessageBody? body) => throw new NotImplementedException();

    private static Task<DBusConnection> ConnectCoreAsync(string address, DBusConnectionOptions options, bool isBus, CancellationToken cancellationToken) => throw new NotImplementedException();

    private Task<DBusMessage> CallCoreAsync(string? destination, string path, string interfaceName, string member, MessageBody? body, TimeSpan? timeout, CancellationToken cancellationToken) => throw new NotImplementedException();

    private ValueTask SendCallNoReplyAsync(string? destination, string path, string interfaceName, string member, MessageBody? body, CancellationToken cancellationToken) => throw new NotImplementedException();

    private ValueTask SendSignalAsync(string path, string interfaceName, string member, MessageBody? body, string? destination, CancellationToken cancellationToken) => throw new NotImplementedException();

    private Task<RequestNameReply> RequestNameCoreAsync(string name, RequestNameFlags flags, CancellationToken cancellationToken) => throw new NotImplementedException();

    private Task<ReleaseNameReply> ReleaseNameCoreAsync(string name, CancellationToken cancellationToken) => throw new NotImplementedException();

    private Task<IAsyncDisposable> AddMatchCoreAsync(MatchRule rule, Action<DBusMessage> handler, CancellationToken cancellationToken) => throw new NotImplementedException();
}
