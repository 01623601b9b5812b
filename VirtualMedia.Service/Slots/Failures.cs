using VirtualMedia.DBus;
using VirtualMedia.Gadget.Kernel;
using VirtualMedia.Nbd;
using Errno = VirtualMedia.DBus.Errno;

namespace VirtualMedia.Service.Slots;

/// <summary>Turns the typed failures of the libraries into the errno a D-Bus caller gets.</summary>
public static class Failures
{
    /// <summary>The errno <paramref name="exception"/> stands for; EIO when it carries none.</summary>
    public static int ErrnoOf(Exception exception) => exception switch
    {
        DBusErrnoException e => e.Errno,
        ImageSourceException e => (int)e.Errno,
        KernelException e => e.Errno,
        TimeoutException => Errno.ETIMEDOUT,
        UnauthorizedAccessException => Errno.EACCES,
        _ => Errno.EIO,
    };

    /// <summary><paramref name="exception"/> as the D-Bus error to answer with.</summary>
    public static DBusErrnoException ToDBusError(Exception exception) =>
        exception as DBusErrnoException ?? new DBusErrnoException(ErrnoOf(exception), exception.Message);
}
