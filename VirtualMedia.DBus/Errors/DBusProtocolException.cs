namespace VirtualMedia.DBus;

/// <summary>A peer broke the wire protocol (malformed, truncated or oversized message, bad handshake); the connection is closed.</summary>
public sealed class DBusProtocolException : DBusException
{
    /// <summary>Creates the exception describing what was wrong.</summary>
    public DBusProtocolException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public DBusProtocolException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception without a message.</summary>
    public DBusProtocolException()
    {
    }
}
