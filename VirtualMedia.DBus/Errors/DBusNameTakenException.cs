namespace VirtualMedia.DBus;

/// <summary>RequestName did not make us the primary owner: another connection owns the name.</summary>
public sealed class DBusNameTakenException : DBusException
{
    /// <summary>Creates the exception for <paramref name="name"/> and the bus's reply.</summary>
    public DBusNameTakenException(string name, RequestNameReply reply)
        : base($"the bus name '{name}' is owned by another connection ({reply})")
    {
        Name = name;
        Reply = reply;
    }

    /// <summary>Creates the exception with a message.</summary>
    public DBusNameTakenException(string message)
        : base(message)
    {
        Name = string.Empty;
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public DBusNameTakenException(string message, Exception? innerException)
        : base(message, innerException)
    {
        Name = string.Empty;
    }

    /// <summary>Creates the exception without a message.</summary>
    public DBusNameTakenException()
    {
        Name = string.Empty;
    }

    /// <summary>The requested well-known name.</summary>
    public string Name { get; }

    /// <summary>What the bus answered (Exists or InQueue).</summary>
    public RequestNameReply Reply { get; }
}
