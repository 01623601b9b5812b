using VirtualMedia.Nbd;

namespace VirtualMedia.Service.Errors;

/// <summary>A refused or failed media operation: the errno and the message its caller gets (the Bus layer makes it a D-Bus error).</summary>
internal sealed class MediaException : Exception
{
    /// <summary>Creates the error for <paramref name="errno"/>.</summary>
    public MediaException(Errno errno, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Errno = errno;
    }

    /// <summary>Creates a generic failure (EIO).</summary>
    public MediaException()
        : this(Errno.EIO, "input/output error")
    {
    }

    /// <summary>Creates a generic failure (EIO) with a message.</summary>
    public MediaException(string message)
        : this(Errno.EIO, message)
    {
    }

    /// <summary>Creates a generic failure (EIO) with a message and cause.</summary>
    public MediaException(string message, Exception innerException)
        : this(Errno.EIO, message, innerException)
    {
    }

    /// <summary>The errno this error stands for.</summary>
    public Errno Errno { get; }
}
