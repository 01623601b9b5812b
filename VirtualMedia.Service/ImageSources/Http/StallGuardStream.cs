using System.Runtime.CompilerServices;

namespace VirtualMedia.Service.ImageSources.Http;

/// <summary>A response body that must keep moving: each read restarts the attempt's deadline (whose token the reader
/// passes), so a server that stops sending (a cut link, no reset) fails like one that died.</summary>
internal sealed class StallGuardStream : Stream
{
    private readonly Stream _inner;
    private readonly CancellationTokenSource _deadline;
    private readonly TimeSpan _stall;

    public StallGuardStream(Stream inner, CancellationTokenSource deadline, TimeSpan stall)
    {
        _inner = inner;
        _deadline = deadline;
        _stall = stall;
    }

    public override bool CanRead => true;

    public override bool CanWrite => false;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await _inner.ReadAsync(buffer, cancellationToken);
        _deadline.CancelAfter(_stall);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException("the body is read asynchronously");

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
