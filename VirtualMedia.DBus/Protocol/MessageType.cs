namespace VirtualMedia.DBus;

/// <summary>The four D-Bus message types.</summary>
public enum MessageType : byte
{
    /// <summary>A method call.</summary>
    MethodCall = 1,

    /// <summary>A successful reply.</summary>
    MethodReturn = 2,

    /// <summary>An error reply.</summary>
    Error = 3,

    /// <summary>A signal.</summary>
    Signal = 4,
}
