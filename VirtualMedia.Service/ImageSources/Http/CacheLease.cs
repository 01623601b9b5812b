using System.Collections;
using VirtualMedia.Nbd;

namespace VirtualMedia.Service.ImageSources.Http;

/// <summary>Pages of a <see cref="ReadAheadCache"/> lent for one NBD reply: pinned until disposed.</summary>
/// <remarks>Pages next to each other in the arena (a stream often claims them in a row) make one segment, so the reply
/// takes fewer writes. The lease is its own list of segments, over arrays sized for the pages reserved: a random
/// reader takes a lease per read, and the two lists and the boxed enumerator it had cost ~100 bytes of each.</remarks>
internal sealed class CacheLease(ReadAheadCache cache, byte[] arena, int reserved) : IImageLease, IReadOnlyList<ReadOnlyMemory<byte>>
{
    // At most one segment per page.
    private readonly ReadOnlyMemory<byte>[] _segments = new ReadOnlyMemory<byte>[reserved];
    private readonly (CachePage Page, long Key, bool ReadToEnd)[] _pages = new (CachePage, long, bool)[reserved];
    private int _segmentCount;
    private int _lastStart = -1;
    private int _lastLength;
    private int _disposed;

    /// <inheritdoc />
    public IReadOnlyList<ReadOnlyMemory<byte>> Segments => this;

    /// <summary>Pages pinned so far.</summary>
    public int PageCount { get; private set; }

    /// <summary>Pages counted as lent when the lease was granted.</summary>
    public int Reserved { get; } = reserved;

    int IReadOnlyCollection<ReadOnlyMemory<byte>>.Count => _segmentCount;

    ReadOnlyMemory<byte> IReadOnlyList<ReadOnlyMemory<byte>>.this[int index] =>
        index < _segmentCount ? _segments[index] : throw new ArgumentOutOfRangeException(nameof(index));

    /// <summary>Pinned page <paramref name="index"/>, with the image page it held when pinned and whether a sequential
    /// reader read it to its end (then it is given up first).</summary>
    public (CachePage Page, long Key, bool ReadToEnd) Page(int index) => _pages[index];

    /// <summary>Adds a pinned page and the read's <paramref name="length"/> bytes of it, at <paramref name="start"/> in
    /// the arena.</summary>
    public void Add(CachePage page, long key, int start, int length, bool readToEnd)
    {
        _pages[PageCount++] = (page, key, readToEnd);
        if (_lastStart >= 0 && _lastStart + _lastLength == start)
        {
            _lastLength += length;
            _segments[_segmentCount - 1] = arena.AsMemory(_lastStart, _lastLength);
            return;
        }

        (_lastStart, _lastLength) = (start, length);
        _segments[_segmentCount++] = arena.AsMemory(start, length);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            cache.Return(this);
        }
    }

    IEnumerator<ReadOnlyMemory<byte>> IEnumerable<ReadOnlyMemory<byte>>.GetEnumerator() =>
        _segments.Take(_segmentCount).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => ((IEnumerable<ReadOnlyMemory<byte>>)this).GetEnumerator();
}
