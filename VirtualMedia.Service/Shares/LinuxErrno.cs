namespace VirtualMedia.Service.Shares;

/// <summary>The Linux errno values that share mounting reports (same numbers on every Linux architecture the BMC uses).</summary>
public static class LinuxErrno
{
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int EIO = 5;
    public const int ENXIO = 6;
    public const int EACCES = 13;
    public const int EBUSY = 16;
    public const int ENODEV = 19;
    public const int ENOTDIR = 20;
    public const int EISDIR = 21;
    public const int EINVAL = 22;
    public const int EROFS = 30;
    public const int ENOSYS = 38;
    public const int ELOOP = 40;
    public const int EPROTONOSUPPORT = 93;
    public const int EOPNOTSUPP = 95;
    public const int ENETUNREACH = 101;
    public const int ECONNRESET = 104;
    public const int ETIMEDOUT = 110;
    public const int ECONNREFUSED = 111;
    public const int EHOSTDOWN = 112;
    public const int EHOSTUNREACH = 113;
    public const int EKEYEXPIRED = 127;
    public const int EKEYREJECTED = 129;

    /// <summary>ENOTSUP and EOPNOTSUPP are the same number on Linux.</summary>
    public const int ENOTSUP = EOPNOTSUPP;
}
