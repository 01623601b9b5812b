namespace VirtualMedia.Gadget.Kernel;

/// <summary>A kernel interface refused an operation; <see cref="Errno"/> says why, for the D-Bus error.</summary>
public sealed class KernelException : IOException
{
    /// <summary>errno for a missing file (a configfs attribute this kernel does not have).</summary>
    public const int Enoent = 2;

    /// <summary>errno for permission denied (a configfs or sysfs file the process may not touch).</summary>
    public const int Eacces = 13;

    /// <summary>errno for a resource in use (a UDC another gadget holds, no free UDC).</summary>
    public const int Ebusy = 16;

    /// <summary>errno for a missing device.</summary>
    public const int Enodev = 19;

    /// <summary>errno for an I/O failure (the NBD client failed).</summary>
    public const int Eio = 5;

    /// <summary>errno for a time-out (the block device never became ready).</summary>
    public const int Etimedout = 110;

    /// <summary>Creates the exception with the errno the kernel (or our check) gave.</summary>
    public KernelException(string message, int errno, Exception? inner = null)
        : base(message, inner)
    {
        Errno = errno;
    }

    /// <summary>The POSIX error number.</summary>
    public int Errno { get; }
}
