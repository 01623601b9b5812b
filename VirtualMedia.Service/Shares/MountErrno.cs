namespace VirtualMedia.Service.Shares;

/// <summary>Errno values the kernel's share clients return that <see cref="VirtualMedia.DBus.Errno"/> does not list; never sent over D-Bus as such.</summary>
public static class MountErrno
{
    /// <summary>The server does not offer the requested protocol version (reported as ENOTSUP).</summary>
    public const int EPROTONOSUPPORT = 93;
}
