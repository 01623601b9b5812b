using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace VirtualMedia.Nbd.Sources;

/// <summary>An image that is a local file (or block device), read with positional I/O.</summary>
/// <remarks>No path policy here: callers decide which paths may be opened (see the service's image directory).</remarks>
public sealed partial class FileImageSource : IImageSource, IDisposable
{
    private const int FallocFlPunchHole = 0x02;
    private const int FallocFlKeepSize = 0x01;

    private readonly SafeFileHandle _handle;

    private FileImageSource(SafeFileHandle handle, long size, bool writable)
    {
        _handle = handle;
        Size = size;
        IsWritable = writable;
    }

    /// <inheritdoc />
    public long Size { get; }

    /// <inheritdoc />
    public bool IsWritable { get; }

    /// <inheritdoc />
    public bool CanFlush => IsWritable;

    /// <inheritdoc />
    public bool CanTrim => IsWritable;

    /// <inheritdoc />
    public bool CanMultiConn => true;

    /// <summary>Opens <paramref name="path"/>; a missing or unreadable file throws <see cref="ImageSourceException"/>.</summary>
    public static FileImageSource Open(string path, bool writable)
    {
        try
        {
            var handle = File.OpenHandle(
                path,
                FileMode.Open,
                writable ? FileAccess.ReadWrite : FileAccess.Read,
                writable ? FileShare.Read : FileShare.ReadWrite,
                FileOptions.Asynchronous | FileOptions.RandomAccess);
            try
            {
                return new FileImageSource(handle, RandomAccess.GetLength(handle), writable);
            }
            catch
            {
                handle.Dispose();
                throw;
            }
        }
        catch (FileNotFoundException e)
        {
            throw new ImageSourceException(Errno.ENOENT, $"{path}: no such file", e);
        }
        catch (DirectoryNotFoundException e)
        {
            throw new ImageSourceException(Errno.ENOENT, $"{path}: no such file", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ImageSourceException(Errno.EACCES, $"{path}: permission denied", e);
        }
        catch (IOException e) when (e is not ImageSourceException)
        {
            throw new ImageSourceException(Errno.EIO, $"{path}: {e.Message}", e);
        }
    }

    /// <inheritdoc />
    public async ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (!buffer.IsEmpty)
        {
            var read = await RandomAccess.ReadAsync(_handle, buffer, offset, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                // The file shrank under us: the rest reads as zeroes rather than stale bytes.
                buffer.Span.Clear();
                return;
            }

            buffer = buffer[read..];
            offset += read;
        }
    }

    /// <inheritdoc />
    public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        RandomAccess.WriteAsync(_handle, data, offset, cancellationToken);

    /// <inheritdoc />
    public ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        RandomAccess.FlushToDisk(_handle);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask TrimAsync(long offset, long length, CancellationToken cancellationToken)
    {
        if (Fallocate(_handle, FallocFlPunchHole | FallocFlKeepSize, offset, length) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            // File systems without hole punching simply keep the data: a trim is only advice.
            if (errno != (int)Errno.ENOTSUP)
            {
                throw new IOException($"trim failed: errno {errno}", errno);
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>The path the open descriptor really refers to (symlinks resolved), or null when unknown.</summary>
    public string? ResolvedPath =>
        File.ResolveLinkTarget($"/proc/self/fd/{_handle.DangerousGetHandle()}", returnFinalTarget: false)?.FullName;

    /// <summary>Closes the file.</summary>
    public void Dispose() => _handle.Dispose();

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _handle.Dispose();
        return ValueTask.CompletedTask;
    }

    [LibraryImport("libc", EntryPoint = "fallocate", SetLastError = true)]
    private static partial int Fallocate(SafeFileHandle fd, int mode, long offset, long length);
}
