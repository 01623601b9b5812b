using VirtualMedia.Nbd;

namespace VirtualMedia.Fuzz.Harness;

/// <summary>A small writable in-memory image for the NBD server target (fuzzing the protocol, not storage).</summary>
public sealed class MemoryImage : IImageSource
{
    private readonly byte[] _bytes;

    public MemoryImage(int size)
    {
        _bytes = new byte[size];
    }

    public long Size => _bytes.Length;

    public bool IsWritable => true;

    public bool CanFlush => true;

    public bool CanTrim => true;

    public bool CanMultiConn => false;

    public ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        _bytes.AsMemory((int)offset, buffer.Length).CopyTo(buffer);
        return ValueTask.CompletedTask;
    }

    public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        data.CopyTo(_bytes.AsMemory((int)offset));
        return ValueTask.CompletedTask;
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask TrimAsync(long offset, long length, CancellationToken cancellationToken)
    {
        _bytes.AsSpan((int)offset, (int)length).Clear();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
