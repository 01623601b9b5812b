namespace VirtualMedia.Service.Shares;

/// <summary>A share could not be mounted or its image used; carries the errno for D-Bus and a message free of credentials.</summary>
public sealed class ShareMountException : Exception
{
    public ShareMountException(int errno, string message)
        : base(message)
    {
        Errno = errno;
    }

    public ShareMountException()
    {
    }

    public ShareMountException(string message)
        : base(message)
    {
        Errno = LinuxErrno.EIO;
    }

    public ShareMountException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errno = LinuxErrno.EIO;
    }

    /// <summary>The Linux errno that Completion or the D-Bus error carries.</summary>
    public int Errno { get; }
}
