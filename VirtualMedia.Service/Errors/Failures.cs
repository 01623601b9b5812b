using VirtualMedia.Gadget.Kernel;
using VirtualMedia.Nbd;

namespace VirtualMedia.Service.Errors;

/// <summary>The service's one mapping from the typed failures of the libraries to an errno.</summary>
internal static class Failures
{
    /// <summary>The errno <paramref name="exception"/> stands for; EIO when it carries none.</summary>
    public static Errno ErrnoOf(Exception exception) => exception switch
    {
        MediaException e => e.Errno,
        KernelException e => e.Errno,
        _ => SystemErrno.FromException(exception),
    };

    /// <summary><paramref name="exception"/> as the error to answer the caller with.</summary>
    public static MediaException AsMediaException(Exception exception) =>
        exception as MediaException ?? new MediaException(ErrnoOf(exception), exception.Message, exception);
}
