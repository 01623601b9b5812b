namespace VirtualMedia.DBus;

/// <summary>The header flags of a D-Bus message.</summary>
[Flags]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "the D-Bus specification's name")]
public enum MessageFlags : byte
{
    /// <summary>No flag.</summary>
    None = 0,

    /// <summary>The caller wants no reply; the server sends none.</summary>
    NoReplyExpected = 0x1,

    /// <summary>The bus must not start a service for this call.</summary>
    NoAutoStart = 0x2,

    /// <summary>The caller accepts interactive authorization.</summary>
    AllowInteractiveAuthorization = 0x4,
}
