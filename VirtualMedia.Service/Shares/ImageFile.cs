using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using VirtualMedia.Nbd;

namespace VirtualMedia.Service.Shares;

/// <summary>Checks that the image inside a mounted share is a regular file that can be opened as asked, and reads its size.</summary>
internal static partial class ImageFile
{
    private const int AtFdCwd = -100;
    private const uint StatxType = 0x1;
    private const uint StatxSize = 0x200;
    private const int StatxModeOffset = 28;
    private const int StatxBufferSize = 256;
    private const ushort TypeMask = 0xF000;
    private const ushort RegularFile = 0x8000;
    private const ushort Directory = 0x4000;

    /// <summary>Returns <see cref="Errno.None"/> and the size when <paramref name="path"/> is a regular file openable for reading (and writing when asked), else the errno.</summary>
    public static (Errno Errno, long Size) Probe(string path, bool readWrite)
    {
        Span<byte> buffer = stackalloc byte[StatxBufferSize];
        if (Statx(AtFdCwd, path, 0, StatxType | StatxSize, ref MemoryMarshal.GetReference(buffer)) != 0)
        {
            return ((Errno)Marshal.GetLastPInvokeError(), 0);
        }

        var mode = BitConverter.ToUInt16(buffer[StatxModeOffset..]);
        if ((mode & TypeMask) != RegularFile)
        {
            return ((mode & TypeMask) == Directory ? Errno.EISDIR : Errno.EINVAL, 0);
        }

        try
        {
            // Opening is the only check the server really answers (CIFS modes are synthesized locally).
            using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, readWrite ? FileAccess.ReadWrite : FileAccess.Read, FileShare.ReadWrite);
            return (Errno.None, RandomAccess.GetLength(handle));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (SystemErrno.FromException(e), 0);
        }
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int directory, string path, int flags, uint mask, ref byte buffer);
}
