using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using VirtualMedia.Nbd;
using VirtualMedia.Nbd.Sources;

namespace VirtualMedia.Service.ImageSources.Files;

/// <summary>
/// Opens a local image only when it is a non-empty regular file, without ever blocking: the path is opened with
/// O_NONBLOCK (a FIFO would otherwise wait for a writer forever) and checked on that descriptor, so the file that
/// is checked is the file that is served.
/// </summary>
internal static partial class RegularImageFile
{
    private const int OpenReadOnly = 0;
    private const int OpenNoControllingTty = 0x100;
    private const int NonBlocking = 0x800;
    private const int OpenCloseOnExec = 0x80000;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxType = 0x1;
    private const uint StatxSize = 0x200;

    // struct statx has the same layout on every architecture (unlike struct stat): stx_mode at 28, stx_size at 40.
    private const int StatxModeOffset = 28;
    private const int StatxSizeOffset = 40;
    private const int StatxBufferSize = 256;
    private const ushort TypeMask = 0xF000;
    private const ushort RegularFile = 0x8000;
    private const ushort Directory = 0x4000;
    private const Errno IsADirectory = (Errno)21;

    /// <summary>Opens <paramref name="path"/> as the image; <paramref name="shown"/> names it in errors. When given,
    /// <paramref name="allowed"/> must accept the real path of what was opened (symlinks resolved) before anything else is said about it.</summary>
    /// <exception cref="ImageSourceException">ENOENT/EACCES as the kernel says (EACCES when <paramref name="allowed"/> refuses);
    /// EISDIR for a directory; EINVAL for any other non-regular file (FIFO, socket, device) and for an empty file,
    /// which no host could use.</exception>
    public static FileImageSource Open(string path, string shown, bool writable, Func<string, bool>? allowed = null)
    {
        using var probe = OpenNonBlocking(path, shown);
        if (allowed is not null
            && (File.ResolveLinkTarget(ProcPath(probe), returnFinalTarget: false)?.FullName is not { } real || !allowed(real)))
        {
            throw new ImageSourceException(Errno.EACCES, $"{shown}: resolves outside the image directory");
        }

        var (mode, size) = Stat(probe, shown);
        if ((mode & TypeMask) == Directory)
        {
            throw new ImageSourceException(IsADirectory, $"{shown}: is a directory, not an image file");
        }

        if ((mode & TypeMask) != RegularFile)
        {
            throw new ImageSourceException(Errno.EINVAL, $"{shown}: not a regular file (a FIFO, socket or device cannot be an image)");
        }

        if (size == 0)
        {
            throw new ImageSourceException(Errno.EINVAL, $"{shown}: the image is empty (0 bytes)");
        }

        // Reopening the checked descriptor through its /proc link opens that very inode, never what the path names now.
        try
        {
            return FileImageSource.Open(ProcPath(probe), writable);
        }
        catch (ImageSourceException e)
        {
            throw new ImageSourceException(e.Errno, $"{shown}: {(e.Errno == Errno.EACCES ? "permission denied" : "cannot be opened")}", e);
        }
    }

    private static string ProcPath(SafeFileHandle handle) => $"/proc/self/fd/{handle.DangerousGetHandle()}";

    private static SafeFileHandle OpenNonBlocking(string path, string shown)
    {
        var handle = OpenFile(path, OpenReadOnly | NonBlocking | OpenNoControllingTty | OpenCloseOnExec);
        if (!handle.IsInvalid)
        {
            return handle;
        }

        var errno = Marshal.GetLastPInvokeError();
        handle.Dispose();
        throw errno switch
        {
            (int)Errno.ENOENT => new ImageSourceException(Errno.ENOENT, $"{shown}: no such file"),
            (int)Errno.EACCES or (int)Errno.EPERM => new ImageSourceException(Errno.EACCES, $"{shown}: permission denied"),
            _ => new ImageSourceException((Errno)errno, $"{shown}: cannot be opened ({Marshal.GetPInvokeErrorMessage(errno)})"),
        };
    }

    private static (ushort Mode, long Size) Stat(SafeFileHandle handle, string shown)
    {
        Span<byte> buffer = stackalloc byte[StatxBufferSize];
        if (Statx(handle, string.Empty, AtEmptyPath, StatxType | StatxSize, ref MemoryMarshal.GetReference(buffer)) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new ImageSourceException((Errno)errno, $"{shown}: cannot be examined ({Marshal.GetPInvokeErrorMessage(errno)})");
        }

        return (BitConverter.ToUInt16(buffer[StatxModeOffset..]), BitConverter.ToInt64(buffer[StatxSizeOffset..]));
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial SafeFileHandle OpenFile(string path, int flags);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(SafeFileHandle directory, string path, int flags, uint mask, ref byte buffer);
}
