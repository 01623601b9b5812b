namespace VirtualMedia.DBus;

/// <content>Implementation (in progress).</content>
public sealed partial class DBusServer
{
    private DBusServer(DBusAddress address, DBusObjectTree objects, DBusConnectionOptions options)
    {
        Address = address.ToString();
        Objects = objects;
        _ = options;
        throw new NotImplementedException();
    }

    /// <summary>Stops listening and closes every peer connection.</summary>
    public ValueTask DisposeAsync() => throw new NotImplementedException();

    private int CountConnections() => throw new NotImplementedException();

    private IReadOnlyList<Exception> SnapshotFailures() => throw new NotImplementedException();
}
