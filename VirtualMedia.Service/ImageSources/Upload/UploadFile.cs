using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using VirtualMedia.Nbd;

namespace VirtualMedia.Service.ImageSources.Upload;

/// <summary>
/// The file an Upload copies its image into: <c>.upload-&lt;Slot&gt;-&lt;random&gt;.img</c> in the image directory,
/// created new (O_EXCL) with mode 0600 and its full size reserved, deleted on dispose. A name of its own, so that no
/// operator's image is ever taken for a copy and the start-up clean-up finds exactly what a crash left.
/// </summary>
internal sealed class UploadFile : IDisposable
{
    /// <summary>What every copy's name starts with.</summary>
    public const string Prefix = ".upload-";

    private readonly FileStream _stream;

    private UploadFile(string path, FileStream stream)
    {
        Path = path;
        _stream = stream;
    }

    /// <summary>Where the copy lives.</summary>
    public string Path { get; }

    /// <summary>The open file, for positional reads and writes.</summary>
    public SafeFileHandle Handle => _stream.SafeFileHandle;

    /// <summary>Creates the copy of <paramref name="size"/> bytes for <paramref name="slot"/> in <paramref name="directory"/>.</summary>
    /// <exception cref="ImageSourceException">ENOSPC when the file system cannot hold it; the errno of any other failure.</exception>
    public static UploadFile Create(string directory, string slot, long size)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("image copies are created with Linux file modes");
        }

        var path = System.IO.Path.Combine(directory, $"{Prefix}{slot}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}.img");
        FileStream stream;
        try
        {
            // Preallocated: the space checked at Mount is then the copy's, not whichever writer comes next. A file
            // system without fallocate (UBIFS, JFFS2) just grows the file as the copy is written.
            stream = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.ReadWrite,
                Share = FileShare.None,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                PreallocationSize = size,
                BufferSize = 0,
                Options = FileOptions.Asynchronous,
            });
        }
        catch (IOException e)
        {
            // .NET removes a file it created but could not preallocate; "disk full" is all it says then.
            throw new ImageSourceException(
                ErrnoOf(e) == Errno.EIO && e.Message.Contains("disk", StringComparison.OrdinalIgnoreCase) ? Errno.ENOSPC : ErrnoOf(e),
                $"cannot create the copy {path}: {e.Message}",
                e);
        }

        var file = new UploadFile(path, stream);
        try
        {
            stream.SetLength(size);
            return file;
        }
        catch (IOException e)
        {
            file.Dispose();
            throw new ImageSourceException(ErrnoOf(e), $"cannot size the copy {path}: {e.Message}", e);
        }
    }

    /// <summary>Deletes every copy in <paramref name="directory"/> (left by a crash or a power loss) and returns their paths.</summary>
    public static IReadOnlyList<string> RemoveStale(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return [];
        }

        var removed = new List<string>();
        foreach (var path in Directory.EnumerateFiles(directory, Prefix + "*"))
        {
            File.Delete(path);
            removed.Add(path);
        }

        return removed;
    }

    /// <summary>The errno an I/O failure carries (.NET puts it in HResult on Linux), else EIO.</summary>
    public static Errno ErrnoOf(Exception e) =>
        e is ImageSourceException source ? source.Errno
        : e is IOException { HResult: > 0 and < 4096 } io ? (Errno)io.HResult
        : Errno.EIO;

    /// <summary>Closes and deletes the copy.</summary>
    public void Dispose()
    {
        _stream.Dispose();
        File.Delete(Path);
    }
}
