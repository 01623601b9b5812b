namespace VirtualMedia.Service.Slots;

/// <summary>A request failed for a reason a person can act on, carrying the errno bmcweb will see.</summary>
public sealed class ErrnoException : Exception
{
    public ErrnoException(int errno, string message)
        : base(message)
    {
        Errno = errno;
    }

    public ErrnoException(int errno, string message, Exception innerException)
        : base(message, innerException)
    {
        Errno = errno;
    }

    /// <summary>The Linux errno (positive).</summary>
    public int Errno { get; }
}
