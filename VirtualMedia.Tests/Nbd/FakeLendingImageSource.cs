using VirtualMedia.Nbd;

namespace VirtualMedia.Tests.Nbd;

/// <summary>A fake in-memory source that lends its bytes in pieces of <c>pieceSize</c> (so a reply takes several
/// writes), or declines to while <see cref="Declines"/> is set; it counts leases, their bytes, and copied reads.</summary>
internal sealed class FakeLendingImageSource(byte[] content, int pieceSize, long lendableBytes = long.MaxValue) : ILendingImageSource
{
    private readonly Lock _lock = new();
    private long _outstandingBytes;
    private long _peakOutstandingBytes;
    private int _outstanding;
    private int _lent;
    private int _copiedReads;

    public long Size => content.Length;

    public bool IsWritable => false;

    public bool CanFlush => false;

    public bool CanTrim => false;

    public bool CanMultiConn => true;

    public long LendableBytes => lendableBytes;

    /// <summary>The most bytes leases held at once.</summary>
    public long PeakOutstandingBytes
    {
        get
        {
            lock (_lock)
            {
                return _peakOutstandingBytes;
            }
        }
    }

    /// <summary>While true, every lend is declined and the server must read into a buffer of its own.</summary>
    public bool Declines { get; set; }

    /// <summary>Leases granted and not disposed yet.</summary>
    public int Outstanding => Volatile.Read(ref _outstanding);

    public int Lent => Volatile.Read(ref _lent);

    public int CopiedReads => Volatile.Read(ref _copiedReads);

    public ValueTask<IImageLease?> LendAsync(long offset, int length, CancellationToken cancellationToken)
    {
        if (Declines)
        {
            return ValueTask.FromResult<IImageLease?>(null);
        }

        var segments = new List<ReadOnlyMemory<byte>>();
        for (var at = 0; at < length; at += pieceSize)
        {
            segments.Add(content.AsMemory((int)offset + at, Math.Min(pieceSize, length - at)));
        }

        Interlocked.Increment(ref _lent);
        Interlocked.Increment(ref _outstanding);
        lock (_lock)
        {
            _outstandingBytes += length;
            _peakOutstandingBytes = Math.Max(_peakOutstandingBytes, _outstandingBytes);
        }

        return ValueTask.FromResult<IImageLease?>(new Lease(segments, () => Release(length)));
    }

    public ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _copiedReads);
        content.AsMemory((int)offset, buffer.Length).CopyTo(buffer);
        return ValueTask.CompletedTask;
    }

    public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        throw new NotSupportedException();

    public ValueTask FlushAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

    public ValueTask TrimAsync(long offset, long length, CancellationToken cancellationToken) => throw new NotSupportedException();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private void Release(int length)
    {
        Interlocked.Decrement(ref _outstanding);
        lock (_lock)
        {
            _outstandingBytes -= length;
        }
    }

    private sealed class Lease(IReadOnlyList<ReadOnlyMemory<byte>> segments, Action release) : IImageLease
    {
        private int _disposed;

        public IReadOnlyList<ReadOnlyMemory<byte>> Segments => segments;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                release();
            }
        }
    }
}
