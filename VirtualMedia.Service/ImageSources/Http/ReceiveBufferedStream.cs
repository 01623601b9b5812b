using System.Runtime.CompilerServices;

namespace VirtualMedia.Service.ImageSources.Http;

/// <summary>A connection stream that receives in large chunks and passes writes straight through.</summary>
/// <remarks>
/// TLS asks its transport for a few KiB at a time (record header, then record), one system call each: a 1 GiB
/// image took ~150,000 receives. Receiving up to a whole buffer at once serves those small reads from memory.
/// </remarks>
internal sealed class ReceiveBufferedStream : Stream
{
    private readonly Stream _inner;
    private readonly byte[] _buffer;
    private int _start;
    private int _end;

    public ReceiveBufferedStream(Stream inner, int bufferSize)
    {
        _inner = inner;
        _buffer = GC.AllocateUninitializedArray<byte>(bufferSize);
    }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_start < _end)
        {
            return ValueTask.FromResult(TakeBuffered(buffer.Span));
        }

        return buffer.Length >= _buffer.Length
            ? _inner.ReadAsync(buffer, cancellationToken)
            : ReceiveAsync(buffer, cancellationToken);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(Span<byte> buffer)
    {
        if (_start == _end)
        {
            if (buffer.Length >= _buffer.Length)
            {
                return _inner.Read(buffer);
            }

            _start = 0;
            _end = _inner.Read(_buffer);
        }

        return TakeBuffered(buffer);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        _inner.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _inner.WriteAsync(buffer, offset, count, cancellationToken);

    public override void Write(ReadOnlySpan<byte> buffer) => _inner.Write(buffer);

    public override void Write(byte[] buffer, int offset, int count) => _inner.Write(buffer, offset, count);

    public override void Flush() => _inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override async ValueTask DisposeAsync()
    {
        await _inner.DisposeAsync();
        await base.DisposeAsync();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReceiveAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        _start = 0;
        _end = await _inner.ReadAsync(_buffer, cancellationToken);
        return TakeBuffered(destination.Span);
    }

    private int TakeBuffered(Span<byte> destination)
    {
        var count = Math.Min(destination.Length, _end - _start);
        _buffer.AsSpan(_start, count).CopyTo(destination);
        _start += count;
        return count;
    }
}
