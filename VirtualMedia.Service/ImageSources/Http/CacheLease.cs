using VirtualMedia.Nbd;

namespace VirtualMedia.Service.ImageSources.Http;

/// <summary>Pages of a <see cref="ReadAheadCache"/> lent for one NBD reply: pinned until disposed.</summary>
/// <remarks>Pages next to each other in the arena (a stream often claims them in a row) make one segment, so the reply
/// takes fewer writes.</remarks>
internal sealed class CacheLease(ReadAheadCache cache, byte[] arena, int reserved) : IImageLease
{
    // Sized for the pages reserved: at most one segment per page.
    private readonly List<ReadOnlyMemory<byte>> _segments = new(reserved);
    private readonly List<(CachePage Page, long Key, bool ReadToEnd)> _pages = new(reserved);
    private int _lastStart = -1;
    private int _lastLength;
    private int _disposed;

    /// <inheritdoc />
    public IReadOnlyList<ReadOnlyMemory<byte>> Segments => _segments;

    /// <summary>The pinned pages, each with the image page it held when pinned and whether a sequential reader read it
    /// to its end (then it is given up first).</summary>
    public IReadOnlyList<(CachePage Page, long Key, bool ReadToEnd)> Pages => _pages;

    /// <summary>Pages counted as lent when the lease was granted.</summary>
    public int Reserved { get; } = reserved;

    /// <summary>Adds a pinned page and the read's <paramref name="length"/> bytes of it, at <paramref name="start"/> in
    /// the arena.</summary>
    public void Add(CachePage page, long key, int start, int length, bool readToEnd)
    {
        _pages.Add((page, key, readToEnd));
        if (_lastStart >= 0 && _lastStart + _lastLength == start)
        {
            _lastLength += length;
            _segments[^1] = arena.AsMemory(_lastStart, _lastLength);
            return;
        }

        (_lastStart, _lastLength) = (start, length);
        _segments.Add(arena.AsMemory(start, length));
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            cache.Return(this);
        }
    }
}
