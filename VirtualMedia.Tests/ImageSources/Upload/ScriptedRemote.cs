using System.Collections.Concurrent;
using VirtualMedia.Nbd;

namespace VirtualMedia.Tests.ImageSources.Upload;

/// <summary>A named fake of a web image for the upload's unit tests: byte i is (i * 7 + i / 251) mod 256; reads of
/// chunks a test holds wait until released, reads from a chosen offset on fail, and any read after dispose fails.</summary>
internal sealed class ScriptedRemote : IImageSource
{
    private readonly ConcurrentDictionary<long, TaskCompletionSource> _held = new();
    private volatile bool _disposed;

    public ScriptedRemote(long size) => Size = size;

    public long Size { get; }

    public bool IsWritable => false;

    public bool CanFlush => false;

    public bool CanTrim => false;

    public bool CanMultiConn => true;

    /// <summary>Reads at or past this offset fail with EIO (as a changed image does); null: none fail.</summary>
    public long? FailFrom { get; set; }

    /// <summary>True once disposed.</summary>
    public bool IsDisposed => _disposed;

    /// <summary>Offsets read so far.</summary>
    public ConcurrentQueue<long> Reads { get; } = new();

    public static byte ByteAt(long i) => (byte)((i * 7) + (i / 251));

    /// <summary>Makes reads starting at <paramref name="offset"/> wait until <see cref="Release"/>.</summary>
    public void Hold(long offset) => _held[offset] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release(long offset)
    {
        if (_held.TryRemove(offset, out var gate))
        {
            gate.TrySetResult();
        }
    }

    public async ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Reads.Enqueue(offset);
        if (_held.TryGetValue(offset, out var gate))
        {
            await gate.Task.WaitAsync(cancellationToken);
        }

        if (offset + buffer.Length > FailFrom)
        {
            throw new ImageSourceException(Errno.EIO, "https://server/image.iso: the image changed on the server while in use");
        }

        for (var i = 0; i < buffer.Length; i++)
        {
            buffer.Span[i] = ByteAt(offset + i);
        }
    }

    public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        throw new NotSupportedException();

    public ValueTask FlushAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

    public ValueTask TrimAsync(long offset, long length, CancellationToken cancellationToken) => throw new NotSupportedException();

    public ValueTask DisposeAsync()
    {
        _disposed = true;
        return ValueTask.CompletedTask;
    }
}
