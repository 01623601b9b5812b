namespace VirtualMedia.Nbd;

/// <summary>Linux errno values, the one errno type below the D-Bus layer; the NBD protocol's error codes are the same numbers.</summary>
public enum Errno
{
    None = 0,
    EPERM = 1,
    ENOENT = 2,
    EINTR = 4,
    EIO = 5,
    ENXIO = 6,
    EAGAIN = 11,
    ENOMEM = 12,
    EACCES = 13,
    EBUSY = 16,
    ENODEV = 19,
    ENOTDIR = 20,
    EISDIR = 21,
    EINVAL = 22,
    ENOSPC = 28,
    EROFS = 30,
    ELOOP = 40,
    EOVERFLOW = 75,
    EPROTONOSUPPORT = 93,

    /// <summary>Also EOPNOTSUPP: the same number on Linux.</summary>
    ENOTSUP = 95,
    ENETUNREACH = 101,
    ECONNRESET = 104,
    ESHUTDOWN = 108,
    ETIMEDOUT = 110,
    ECONNREFUSED = 111,
    EHOSTDOWN = 112,
    EHOSTUNREACH = 113,
    ECANCELED = 125,
}
