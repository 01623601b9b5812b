namespace VirtualMedia.Nbd;

/// <summary>An image source failure carrying the errno that the NBD client (and D-Bus caller) should see.</summary>
public sealed class ImageSourceException : IOException
{
    public ImageSourceException(Errno errno, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Errno = errno;
    }

    public ImageSourceException()
        : this(Errno.EIO, "image source failed")
    {
    }

    public ImageSourceException(string message)
        : this(Errno.EIO, message)
    {
    }

    public ImageSourceException(string message, Exception innerException)
        : this(Errno.EIO, message, innerException)
    {
    }

    /// <summary>The error class, as a Linux errno.</summary>
    public Errno Errno { get; }
}
