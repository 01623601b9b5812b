using VirtualMedia.Nbd;

namespace VirtualMedia.Gadget.Kernel;

/// <summary>A kernel interface refused an operation; <see cref="Errno"/> says why.</summary>
public sealed class KernelException : IOException
{
    /// <summary>Creates the exception with the errno the kernel (or our check) gave.</summary>
    public KernelException(string message, Errno errno, Exception? inner = null)
        : base(message, inner)
    {
        Errno = errno;
    }

    /// <summary>The POSIX error number.</summary>
    public Errno Errno { get; }
}
