namespace VirtualMedia.DBus;

/// <summary>A D-Bus error: thrown by handlers to send an error reply, and by calls that got one.</summary>
public class DBusErrorException : DBusException
{
    /// <summary>Creates an error with a D-Bus error name (<c>org.freedesktop.DBus.Error.InvalidArgs</c>) and a message.</summary>
    public DBusErrorException(string errorName, string message)
        : base(message)
    {
        ErrorName = errorName;
        ErrorMessage = message;
    }

    /// <summary>Creates the exception without details (prefer the error-name constructor).</summary>
    public DBusErrorException()
        : this(DBusErrorNames.Failed, "failed")
    {
    }

    /// <summary>Creates the exception with a message, as a generic failure.</summary>
    public DBusErrorException(string message)
        : this(DBusErrorNames.Failed, message)
    {
    }

    /// <summary>Creates the exception with a message and cause, as a generic failure.</summary>
    public DBusErrorException(string message, Exception? innerException)
        : base(message, innerException)
    {
        ErrorName = DBusErrorNames.Failed;
        ErrorMessage = message;
    }

    /// <summary>The D-Bus error name.</summary>
    public string ErrorName { get; }

    /// <summary>The human-readable message carried in the error reply.</summary>
    public string ErrorMessage { get; }

    /// <inheritdoc />
    public override string Message => $"{ErrorName}: {ErrorMessage}";
}
