namespace VirtualMedia.DBus;

/// <summary>Base of every exception the D-Bus library throws.</summary>
public class DBusException : Exception
{
    /// <summary>Creates the exception with a message.</summary>
    public DBusException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public DBusException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception without a message.</summary>
    public DBusException()
    {
    }
}
