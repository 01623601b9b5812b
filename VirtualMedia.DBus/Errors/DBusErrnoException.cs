namespace VirtualMedia.DBus;

/// <summary>A D-Bus error made from a Linux errno, named exactly as sd-bus names it so sdbusplus clients get the errno back.</summary>
/// <remarks>
/// sd-bus maps a few errnos to standard names (EINVAL → InvalidArgs, EPERM/EACCES → AccessDenied,
/// ENOMEM → NoMemory, EOPNOTSUPP/ENOTSUP → NotSupported, …) and every other known errno to
/// <c>System.Error.&lt;NAME&gt;</c> (EBUSY → <c>System.Error.EBUSY</c>); an unknown number becomes Failed.
/// </remarks>
public sealed class DBusErrnoException : DBusErrorException
{
    /// <summary>Creates the error for <paramref name="errno"/> (a positive Linux errno, see <see cref="Errno"/>).</summary>
    public DBusErrnoException(int errno, string message)
        : base(VirtualMedia.DBus.Errno.ToErrorName(errno), message)
    {
        Errno = errno;
    }

    /// <summary>Creates a generic failure (EIO).</summary>
    public DBusErrnoException()
        : this(VirtualMedia.DBus.Errno.EIO, "input/output error")
    {
    }

    /// <summary>Creates a generic failure (EIO) with a message.</summary>
    public DBusErrnoException(string message)
        : this(VirtualMedia.DBus.Errno.EIO, message)
    {
    }

    /// <summary>Creates a generic failure (EIO) with a message and cause.</summary>
    public DBusErrnoException(string message, Exception? innerException)
        : base(message, innerException)
    {
        Errno = VirtualMedia.DBus.Errno.EIO;
    }

    /// <summary>The errno this error stands for.</summary>
    public int Errno { get; }
}
