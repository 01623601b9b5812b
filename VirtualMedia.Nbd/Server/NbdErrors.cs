namespace VirtualMedia.Nbd.Server;

/// <summary>Maps failures to the few error codes the NBD protocol defines.</summary>
internal static class NbdErrors
{
    public static Errno FromException(Exception exception)
    {
        var errno = exception is OperationCanceledException ? Errno.ESHUTDOWN : SystemErrno.FromException(exception);
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
