namespace VirtualMedia.DBus;

/// <summary>Flags of <c>org.freedesktop.DBus.RequestName</c>.</summary>
[Flags]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "the D-Bus specification's name")]
public enum RequestNameFlags : uint
{
    /// <summary>No flag: queue for the name if it is taken.</summary>
    None = 0,

    /// <summary>Let another connection take the name from us later.</summary>
    AllowReplacement = 0x1,

    /// <summary>Take the name from an owner that allowed replacement.</summary>
    ReplaceExisting = 0x2,

    /// <summary>Fail instead of queueing when the name is taken.</summary>
    DoNotQueue = 0x4,
}

/// <summary>Replies of <c>org.freedesktop.DBus.RequestName</c>.</summary>
public enum RequestNameReply : uint
{
    /// <summary>We are now the primary owner.</summary>
    PrimaryOwner = 1,

    /// <summary>We were queued behind the owner.</summary>
    InQueue = 2,

    /// <summary>Another connection owns the name and we did not queue.</summary>
    Exists = 3,

    /// <summary>We already owned the name.</summary>
    AlreadyOwner = 4,
}

/// <summary>Replies of <c>org.freedesktop.DBus.ReleaseName</c>.</summary>
public enum ReleaseNameReply : uint
{
    /// <summary>The name was ours and is released.</summary>
    Released = 1,

    /// <summary>Nobody owns the name.</summary>
    NonExistent = 2,

    /// <summary>Somebody else owns the name.</summary>
    NotOwner = 3,
}
