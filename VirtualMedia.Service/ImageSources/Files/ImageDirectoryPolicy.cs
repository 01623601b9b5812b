using System.Runtime.InteropServices;
using VirtualMedia.Nbd;
using VirtualMedia.Nbd.Sources;
using VirtualMedia.Service.Urls;

namespace VirtualMedia.Service.ImageSources.Files;

/// <summary>Opens file:// images only from inside the configured image directory, symlinks included.</summary>
/// <remarks>The check is made on the opened descriptor (its /proc/self/fd link), so a path that is swapped for a
/// symlink between check and open is still caught; only a non-empty regular file is accepted (see <see cref="RegularImageFile"/>).</remarks>
internal static partial class ImageDirectoryPolicy
{
    public static FileImageSource Open(Uri uri, string? imageDirectory, bool writable)
    {
        var shown = UrlRedaction.Redact(uri);
        if (string.IsNullOrEmpty(imageDirectory))
        {
            throw new ImageSourceException(Errno.ENOTSUP, $"{shown}: file:// images are disabled (no image directory configured)");
        }

        if (!string.IsNullOrEmpty(uri.Host) && !uri.IsLoopback)
        {
            throw new ImageSourceException(Errno.ENOTSUP, $"{shown}: file:// URLs must not name a remote host");
        }

        var root = RealDirectory(imageDirectory);
        var path = Path.GetFullPath(uri.LocalPath);
        if (!IsInside(path, root) && !IsInside(path, Path.GetFullPath(imageDirectory)))
        {
            throw new ImageSourceException(Errno.EACCES, $"{shown}: outside the image directory");
        }

        return RegularImageFile.Open(path, shown, writable, opened => IsInside(opened, root));
    }

    private static string RealDirectory(string directory)
    {
        var resolved = RealPath(Path.GetFullPath(directory), IntPtr.Zero);
        if (resolved == IntPtr.Zero)
        {
            throw new ImageSourceException(Errno.ENOENT, $"image directory {directory} does not exist");
        }

        try
        {
            return Marshal.PtrToStringUTF8(resolved)!;
        }
        finally
        {
            Marshal.FreeHGlobal(resolved);
        }
    }

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr RealPath(string path, IntPtr resolved);

    private static bool IsInside(string path, string root) =>
        path.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal);
}
