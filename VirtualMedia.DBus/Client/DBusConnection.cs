namespace VirtualMedia.DBus;

/// <summary>A connection to a message bus or to a peer: calls methods, receives signals and serves <see cref="Objects"/>.</summary>
/// <remarks>
/// Thread-safe. Replies, signals and incoming calls are read by one background reader; method handlers
/// run on the thread pool, so a slow handler never blocks other calls or connections.
/// The library never logs: failures are exceptions, and <see cref="Completion"/> says why the connection ended.
/// </remarks>
public sealed partial class DBusConnection : IAsyncDisposable
{
    /// <summary>Connects to the system bus (<c>DBUS_SYSTEM_BUS_ADDRESS</c>, else <c>/run/dbus/system_bus_socket</c>).</summary>
    public static Task<DBusConnection> ConnectSystemBusAsync(DBusConnectionOptions? options = null, CancellationToken cancellationToken = default) =>
        ConnectAsync(DBusAddress.SystemBus, options, cancellationToken);

    /// <summary>Connects to the session bus (<c>DBUS_SESSION_BUS_ADDRESS</c>).</summary>
    public static Task<DBusConnection> ConnectSessionBusAsync(DBusConnectionOptions? options = null, CancellationToken cancellationToken = default) =>
        ConnectAsync(DBusAddress.SessionBus, options, cancellationToken);

    /// <summary>Connects to a bus at <paramref name="address"/>, authenticates (EXTERNAL, else ANONYMOUS) and says Hello.</summary>
    public static Task<DBusConnection> ConnectAsync(string address, DBusConnectionOptions? options = null, CancellationToken cancellationToken = default) =>
        ConnectCoreAsync(address, options ?? new DBusConnectionOptions(), isBus: true, cancellationToken);

    /// <summary>Connects peer-to-peer (no bus, no Hello) to a <see cref="DBusServer"/> or another D-Bus peer.</summary>
    public static Task<DBusConnection> ConnectPeerAsync(string address, DBusConnectionOptions? options = null, CancellationToken cancellationToken = default) =>
        ConnectCoreAsync(address, options ?? new DBusConnectionOptions(), isBus: false, cancellationToken);

    /// <summary>Our unique name on the bus (<c>:1.42</c>); null on a peer-to-peer connection.</summary>
    public string? UniqueName { get; private set; }

    /// <summary>The objects this connection serves.</summary>
    public DBusObjectTree Objects { get; }

    /// <summary>True when unix fds can be passed on this connection (both sides agreed).</summary>
    public bool UnixFdsSupported { get; private set; }

    /// <summary>Completes when the connection ends: successfully when disposed, faulted with the reason otherwise.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Calls a method and returns the reply (dispose it); error replies throw <see cref="DBusErrorException"/>.</summary>
    /// <param name="destination">Bus name of the callee; null on peer-to-peer connections.</param>
    /// <param name="path">Object path.</param>
    /// <param name="interfaceName">Interface of the method.</param>
    /// <param name="member">Method name.</param>
    /// <param name="body">Arguments (the connection takes ownership); null for none.</param>
    /// <param name="timeout">Time to wait for the reply; null: <see cref="DBusConnectionOptions.DefaultCallTimeout"/>. Expiry throws <see cref="TimeoutException"/>.</param>
    /// <param name="cancellationToken">Abandons the wait (the reply, if it comes, is dropped).</param>
    public Task<DBusMessage> CallMethodAsync(string? destination, string path, string interfaceName, string member, MessageBody? body = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        CallCoreAsync(destination, path, interfaceName, member, body, timeout, cancellationToken);

    /// <summary>Sends a method call flagged NO_REPLY_EXPECTED (the connection takes ownership of <paramref name="body"/>).</summary>
    /// <remarks>Synchronous: the message is written to the socket (sendmsg) before it returns.</remarks>
    public void CallMethodNoReply(string? destination, string path, string interfaceName, string member, MessageBody? body = null) =>
        SendNoReply(MessageType.MethodCall, destination, path, interfaceName, member, body);

    /// <summary>Emits a signal from this connection (the connection takes ownership of <paramref name="body"/>).</summary>
    /// <remarks>Synchronous, like <see cref="CallMethodNoReply"/>. To emit a signal of a registered object on every connection serving it, use <see cref="DBusObject.EmitSignal"/>.</remarks>
    public void EmitSignal(string path, string interfaceName, string member, MessageBody? body = null, string? destination = null) =>
        SendNoReply(MessageType.Signal, destination, path, interfaceName, member, body);

    /// <summary>Requests a well-known name; throws <see cref="DBusNameTakenException"/> unless we become (or are) the primary owner.</summary>
    public Task<RequestNameReply> RequestNameAsync(string name, RequestNameFlags flags = RequestNameFlags.DoNotQueue, CancellationToken cancellationToken = default) =>
        RequestNameCoreAsync(name, flags, cancellationToken);

    /// <summary>Releases a well-known name.</summary>
    public Task<ReleaseNameReply> ReleaseNameAsync(string name, CancellationToken cancellationToken = default) =>
        ReleaseNameCoreAsync(name, cancellationToken);

    /// <summary>Adds a match rule on the bus and calls <paramref name="handler"/> for each matching message; dispose the result to remove it.</summary>
    /// <remarks>The handler runs on the connection's reader: keep it short; the message is valid only during the call.</remarks>
    public Task<IAsyncDisposable> AddMatchAsync(MatchRule rule, Action<DBusMessage> handler, CancellationToken cancellationToken = default) =>
        AddMatchCoreAsync(rule, handler, cancellationToken);
}
