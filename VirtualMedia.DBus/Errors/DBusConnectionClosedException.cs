namespace VirtualMedia.DBus;

/// <summary>The connection is closed (by us, by the peer, or after a protocol error given as the inner exception).</summary>
public sealed class DBusConnectionClosedException : DBusException
{
    /// <summary>Creates the exception with a message.</summary>
    public DBusConnectionClosedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the reason the connection closed.</summary>
    public DBusConnectionClosedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception without a message.</summary>
    public DBusConnectionClosedException()
        : base("the D-Bus connection is closed")
    {
    }
}
