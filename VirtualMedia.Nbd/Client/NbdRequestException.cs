namespace VirtualMedia.Nbd.Client;

/// <summary>The server answered a request with an NBD error.</summary>
public sealed class NbdRequestException : IOException
{
    public NbdRequestException(Errno errno, string message)
        : base(message)
    {
        Errno = errno;
    }

    public NbdRequestException()
        : this(Errno.EIO, "NBD request failed")
    {
    }

    public NbdRequestException(string message)
        : this(Errno.EIO, message)
    {
    }

    public NbdRequestException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errno = Errno.EIO;
    }

    /// <summary>The error code from the reply.</summary>
    public Errno Errno { get; }
}
