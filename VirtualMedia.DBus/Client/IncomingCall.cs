namespace VirtualMedia.DBus;

/// <summary>Runs one incoming method call on the thread pool, off the connection's reader.</summary>
internal sealed class IncomingCall : IThreadPoolWorkItem
{
    private readonly DBusConnection _connection;
    private readonly DBusMessage _message;

    public IncomingCall(DBusConnection connection, DBusMessage message)
    {
        _connection = connection;
        _message = message;
    }

    public void Execute() => _ = _connection.HandleCallAsync(_message);
}
