namespace VirtualMedia.DBus;

/// <summary>Listens on a unix socket and serves one <see cref="DBusObjectTree"/> to every peer that connects (peer-to-peer D-Bus, EXTERNAL auth).</summary>
public sealed partial class DBusServer : IAsyncDisposable
{
    /// <summary>Starts listening at <paramref name="address"/> (<c>unix:path=…</c>) serving <paramref name="objects"/>.</summary>
    /// <remarks>A socket file a dead server left at the path is replaced; a live socket or another file there throws <see cref="IOException"/>.</remarks>
    public static DBusServer Listen(string address, DBusObjectTree objects, DBusConnectionOptions? options = null) =>
        new(DBusAddress.Parse(address), objects, options ?? new DBusConnectionOptions());

    /// <summary>The address peers connect to.</summary>
    public string Address { get; }

    /// <summary>The objects served.</summary>
    public DBusObjectTree Objects { get; }

    /// <summary>Number of peers connected now.</summary>
    public int ConnectionCount => CountConnections();

    /// <summary>Connections that ended because the peer broke the protocol, each with its reason (most recent last, bounded).</summary>
    public IReadOnlyList<Exception> RecentFailures => SnapshotFailures();
}
