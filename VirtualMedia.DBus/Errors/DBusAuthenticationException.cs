namespace VirtualMedia.DBus;

/// <summary>The SASL handshake with the bus or peer failed.</summary>
public sealed class DBusAuthenticationException : DBusException
{
    /// <summary>Creates the exception with a message.</summary>
    public DBusAuthenticationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public DBusAuthenticationException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception without a message.</summary>
    public DBusAuthenticationException()
    {
    }
}
