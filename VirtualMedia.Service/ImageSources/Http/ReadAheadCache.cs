using System.Runtime.CompilerServices;

namespace VirtualMedia.Service.ImageSources.Http;

/// <summary>A bounded page cache in one preallocated arena, filled by ranged fetches: a long streamed GET ahead of each
/// sequential reader, just what is asked for random ones; concurrent readers of a page share one fetch.</summary>
/// <remarks>The read path's ValueTask methods pool their state machines (as <c>NbdConnection</c>'s do): fewer bytes
/// allocated per read, fewer collections for a random reader to wait on.</remarks>
internal sealed partial class ReadAheadCache : IAsyncDisposable
{
    private readonly IRangeFetcher _fetcher;
    private readonly long _size;
    private readonly int _pageSize;
    private readonly int _pageCount;
    private readonly int _fetchPages;
    private readonly int _readAheadPages;
    private readonly int _maxReadAheadStreams;
    private readonly int _streamSize;
    private readonly TimeSpan _readerPause;
    private readonly byte[] _arena;
    private readonly CachePageTable _table;
    private readonly SequentialStreams _streams;
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _disposed = new();
    private int _runningFetches;
    private TaskCompletionSource? _idle;

    public ReadAheadCache(IRangeFetcher fetcher, long size, CacheGeometry geometry)
    {
        _fetcher = fetcher;
        _size = size;
        ArgumentOutOfRangeException.ThrowIfGreaterThan(geometry.PageSize, CachePage.MaxBlocks * CachePage.BlockSize);
        _pageSize = geometry.PageSize;
        var pageCount = geometry.CacheSize / _pageSize;
        _pageCount = pageCount;
        _fetchPages = Math.Clamp(geometry.FetchSize / _pageSize, 1, pageCount / 2);
        _readAheadPages = Math.Clamp(geometry.ReadAhead / _pageSize, 1, pageCount / 2);
        _maxReadAheadStreams = geometry.MaxParallelFetches;
        _streamSize = geometry.StreamSize;
        _readerPause = geometry.ReaderPause;
        _arena = GC.AllocateUninitializedArray<byte>(pageCount * _pageSize, pinned: true);
        MakeResident(_arena);
        _table = new CachePageTable(pageCount, _pageSize, size);
        _streams = new SequentialStreams(slack: geometry.ReadAhead);
    }

    /// <summary>Fills <paramref name="destination"/> from the cache, fetching what is missing.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        var plan = Plan(offset, destination.Length);
        var first = true;
        while (!destination.IsEmpty)
        {
            var key = offset / _pageSize;
            var page = await AcquireAsync(plan, first, offset, destination.Length, cancellationToken);
            first = false;
            if (page is null)
            {
                // Every page is pinned or loading: read around the cache rather than wait for room.
                await _fetcher.ReadAsync(offset, destination, _disposed.Token).WaitAsync(cancellationToken);
                return;
            }

            var inPage = (int)(offset - (key * _pageSize));
            var copied = Math.Min(destination.Length, PageLength(key) - inPage);
            try
            {
                _arena.AsMemory((page.Slot * _pageSize) + inPage, copied).CopyTo(destination);
            }
            finally
            {
                Release(page, key, readToEnd: plan.Sequential && inPage + copied == PageLength(key));
            }

            offset += copied;
            destination = destination[copied..];
        }
    }

    public async ValueTask DisposeAsync()
    {
        Task? idle = null;
        lock (_lock)
        {
            if (_runningFetches > 0)
            {
                _idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                idle = _idle.Task;
            }
        }

        await _disposed.CancelAsync();
        if (idle is not null)
        {
            await idle;
        }

        _disposed.Dispose();
    }

    /// <summary>Maps the arena's memory now, one write per memory page, instead of on first touch.</summary>
    /// <remarks>A random reader's misses land in pages of the arena never touched before, and the kernel mapping each
    /// one cost a 4 KiB read ~45 µs on the bench's VM: p50 0.18 ms against 0.13 once mapped (nbdkit curl 0.13-0.17).
    /// A sequential reader maps the whole arena within its first cache-size of reading anyway, so the cache's memory
    /// is what it always was, taken at Mount.</remarks>
    private static void MakeResident(byte[] arena)
    {
        for (var i = 0; i < arena.Length; i += Environment.SystemPageSize)
        {
            arena[i] = 0;
        }
    }

    /// <summary>Notes a read of <paramref name="length"/> bytes at <paramref name="offset"/>: whether it continues a
    /// sequential reader, and the fetch and window it gets.</summary>
    private ReadPlan Plan(long offset, int length)
    {
        bool sequential;
        long frontier;
        int streams;
        lock (_lock)
        {
            sequential = _streams.Note(offset, length, out frontier);
            streams = _streams.Active();
        }

        var (fetchPages, windowPages) = Share(streams);
        return new ReadPlan(sequential, frontier, fetchPages, windowPages);
    }

    /// <summary>The page holding <paramref name="offset"/>, pinned and holding what the read needs of it (fetched if
    /// missing; the <paramref name="first"/> page of a sequential read moves its read-ahead too); null when the cache has
    /// no room.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<CachePage?> AcquireAsync(
        ReadPlan plan, bool first, long offset, int remaining, CancellationToken cancellationToken)
    {
        var key = offset / _pageSize;
        // Sequential readers fetch whole runs of pages; random ones just the blocks they touch, as a fetch of a whole
        // page would cost a 4 KiB read most of its latency.
        var want = plan.Sequential
            ? new FetchRange(key * _pageSize, (key + plan.FetchPages) * _pageSize)
            : new FetchRange(
                offset & ~(CachePage.BlockSize - 1), (offset + remaining + CachePage.BlockSize - 1) & ~(CachePage.BlockSize - 1));
        if (first && plan.Sequential)
        {
            // Before the demand fetch: the stream claims the window past this read, and the demand fetch stops where
            // it starts. Claimed after it, a demand fetch took the whole window (with four readers fetch and window are
            // the same size), no stream started, and the reader went on by demand GETs of a window each.
            ReadAhead(plan.Frontier, plan.WindowPages);
        }

        var attempt = TryAcquirePage(key, want);
        return await AwaitPageAsync(key, want, attempt, cancellationToken);
    }

    /// <summary>Waits for the fetch of an <paramref name="attempt"/> to acquire a page and asks again, until the page
    /// holds its part of <paramref name="want"/>; returns it pinned, or null when the cache has no room.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<CachePage?> AwaitPageAsync(
        long key, FetchRange want, (CachePage? Page, Task? Loading) attempt, CancellationToken cancellationToken)
    {
        while (attempt is { Page: not null, Loading: not null })
        {
            try
            {
                await attempt.Loading.WaitAsync(cancellationToken);
            }
            finally
            {
                Unpin(attempt.Page);
            }

            attempt = TryAcquirePage(key, want);
        }

        return attempt.Page;
    }

    /// <summary>Pins the page for <paramref name="key"/> and returns it with no task when it holds its part of
    /// <paramref name="want"/>; otherwise with the fetch to wait for before asking again, started here when none is
    /// running: the missing pages from <paramref name="key"/> on, or the missing part of a cached page.</summary>
    private (CachePage? Page, Task? Loading) TryAcquirePage(long key, FetchRange want)
    {
        CachePage[] run;
        FetchRange fetch;
        Task loading;
        lock (_lock)
        {
            var pageStart = key * _pageSize;
            var need = want.Within(pageStart, pageStart + PageLength(key));
            if (_table.TryGet(key, out var cached))
            {
                cached.Pins++;
                cached.Referenced = true;
                if (cached.Loaded is not null)
                {
                    return (cached, cached.Loaded.Task);
                }

                if (cached.Holds(need.Start - pageStart, need.End - pageStart))
                {
                    return (cached, null);
                }

                fetch = cached.Gap(need.Start - pageStart, need.End - pageStart, PageLength(key)).Shift(pageStart);
                cached.IsReady = false;
                cached.Loaded = new TaskCompletionSource();
                _runningFetches++;
                run = [cached];
            }
            else
            {
                run = ClaimRun(key, (Math.Min(want.End, _size) - 1) / _pageSize);
                if (run.Length == 0)
                {
                    return (null, null);
                }

                run[0].Pins++;
                fetch = want.Within(pageStart, (run[^1].Key * _pageSize) + PageLength(run[^1].Key));
            }

            loading = run[0].Loaded!.Task;
        }

        _ = FillAsync(run, fetch);
        return (run[0], loading);
    }

    private void Unpin(CachePage page)
    {
        lock (_lock)
        {
            page.Pins--;
        }
    }

    /// <summary>Unpins a page read from. One a sequential reader has <paramref name="readToEnd"/> it will not read again:
    /// it is the first to give up, before read-ahead not read yet (which the clock would otherwise evict as readily, to
    /// be fetched again: up to twice the requests per GiB on the bench under load).</summary>
    private void Release(CachePage page, long key, bool readToEnd)
    {
        lock (_lock)
        {
            ReleaseLocked(page, key, readToEnd);
        }
    }

    private static void ReleaseLocked(CachePage page, long key, bool readToEnd)
    {
        page.Pins--;
        if (readToEnd && page.Key == key)
        {
            page.Referenced = false;
        }
    }

    /// <summary>Pages per demand GET and read-ahead window of each of <paramref name="streams"/> sequential readers.</summary>
    /// <remarks>
    /// Each reader holds up to one demand fetch plus one window of pages; together they get three quarters of the
    /// cache (the rest stays for pages being read and random readers), else read-ahead is evicted before it is read
    /// and fetched again. Four readers (nbdcopy's default) get a quarter each instead of evicting each other's
    /// read-ahead. The window bounds only the cache's share: the streamed GET behind it is as long either way.
    /// </remarks>
    private (int FetchPages, int WindowPages) Share(int streams)
    {
        var half = Math.Max(1, _pageCount * 3 / (4 * streams) / 2);
        var fetch = Math.Min(_fetchPages, half);
        return (fetch, Math.Max(fetch, Math.Min(_readAheadPages, half)));
    }

    private int PageLength(long key) => _table.PageLength(key);

    /// <summary>Claims pages for the consecutive missing keys from <paramref name="key"/>, counted as one fetch.</summary>
    private CachePage[] ClaimRun(long key, long lastKey)
    {
        var run = _table.ClaimRun(key, lastKey);
        if (run.Length > 0)
        {
            _runningFetches++;
        }

        return run;
    }
}
