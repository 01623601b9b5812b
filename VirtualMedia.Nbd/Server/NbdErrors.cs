namespace VirtualMedia.Nbd.Server;

/// <summary>Maps failures to the few error codes the NBD protocol defines.</summary>
internal static class NbdErrors
{
    public static Errno FromException(Exception exception)
    {
        var errno = exception switch
        {
            ImageSourceException source => source.Errno,
            OperationCanceledException => Errno.ESHUTDOWN,
            // On Unix, .NET puts the raw errno into HResult of the IOExceptions it has no special type for.
            IOException io when Enum.IsDefined((Errno)io.HResult) => (Errno)io.HResult,
            _ => Errno.EIO,
        };
        return ToProtocol(errno);
    }

    /// <summary>Restricts an errno to the values proto.md allows on the wire.</summary>
    public static Errno ToProtocol(Errno errno) => errno switch
    {
        Errno.EPERM or Errno.EIO or Errno.ENOMEM or Errno.EINVAL or Errno.ENOSPC or Errno.EOVERFLOW
            or Errno.ENOTSUP or Errno.ESHUTDOWN => errno,
        _ => Errno.EIO,
    };
}
