namespace VirtualMedia.Service.ImageSources.Http;

/// <summary>Which image page each cache page holds, and which to give up next (clock, second chance).</summary>
/// <remarks>Not thread-safe: the cache calls it under its lock.</remarks>
internal sealed class CachePageTable
{
    private readonly CachePage[] _pages;
    private readonly Dictionary<long, CachePage> _map;
    private readonly int _pageSize;
    private readonly long _size;
    private int _clockHand;

    public CachePageTable(int pageCount, int pageSize, long imageSize)
    {
        _pages = new CachePage[pageCount];
        for (var i = 0; i < pageCount; i++)
        {
            _pages[i] = new CachePage(i);
        }

        _map = new Dictionary<long, CachePage>(pageCount);
        _pageSize = pageSize;
        _size = imageSize;
    }

    /// <summary>Pages of the image.</summary>
    public long PageCount => (_size + _pageSize - 1) / _pageSize;

    /// <summary>Bytes of image page <paramref name="key"/> (the last one may be short).</summary>
    public int PageLength(long key) => (int)Math.Min(_pageSize, _size - (key * _pageSize));

    public bool TryGet(long key, out CachePage page) => _map.TryGetValue(key, out page!);

    public bool Contains(long key) => _map.ContainsKey(key);

    /// <summary>Claims pages, loading, for the consecutive missing keys from <paramref name="key"/> up to
    /// <paramref name="lastKey"/>: fewer (or none) where a page is cached or no page can be given up; never more than
    /// half the cache, so one reader cannot flush it all.</summary>
    public CachePage[] ClaimRun(long key, long lastKey)
    {
        lastKey = Math.Min(lastKey, PageCount - 1);
        var count = 0;
        while (key + count <= lastKey && count < _pages.Length / 2 && !_map.ContainsKey(key + count))
        {
            count++;
        }

        var run = new CachePage[count];
        for (var i = 0; i < count; i++)
        {
            var page = Evict();
            if (page is null)
            {
                return run[..i];
            }

            page.Key = key + i;
            page.IsReady = false;
            page.Forget();
            page.Referenced = true;
            // Waiting readers continue on the fetch's thread: a thread-pool hop per page costs more latency
            // than the reader's copy delays the fetch.
            page.Loaded = new TaskCompletionSource();
            _map[page.Key] = page;
            run[i] = page;
        }

        return run;
    }

    /// <summary>Forgets a page whose fetch failed; it is reused once its readers let go.</summary>
    public void Remove(CachePage page)
    {
        _map.Remove(page.Key);
        page.Key = -1;
    }

    /// <summary>Clock (second chance) over unpinned ready pages.</summary>
    private CachePage? Evict()
    {
        for (var step = 0; step < 2 * _pages.Length; step++)
        {
            var page = _pages[_clockHand];
            _clockHand = (_clockHand + 1) % _pages.Length;
            if (page.Key < 0 && page.Pins == 0)
            {
                return page;
            }

            if (!page.IsReady || page.Pins > 0)
            {
                continue;
            }

            if (page.Referenced)
            {
                page.Referenced = false;
                continue;
            }

            Remove(page);
            return page;
        }

        return null;
    }
}
