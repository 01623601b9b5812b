using System.Runtime.CompilerServices;
using VirtualMedia.Nbd;

namespace VirtualMedia.Service.ImageSources.Http;

/// <summary>Fills: the fetches that load claimed pages, and their completion (or failure) for the readers waiting.</summary>
internal sealed partial class ReadAheadCache
{
    /// <summary>Fetches <paramref name="fetch"/> into the pages of <paramref name="run"/>, which it spans.</summary>
    private async Task FillAsync(CachePage[] run, FetchRange fetch)
    {
        var fill = new PageRunFill(this, run, fetch);
        try
        {
            await _fetcher.FetchAsync(fetch.Start, (int)fetch.Length, fill, _disposed.Token);
        }
        catch (Exception e)
        {
            var error = e as ImageSourceException ?? new ImageSourceException(Errno.EIO, "image read failed", e);
            for (; fill.Done < run.Length; fill.Done++)
            {
                Complete(run[fill.Done], default, error);
            }
        }
        finally
        {
            FetchEnded();
        }
    }

    /// <summary>Counts a fetch out; the last one lets a waiting disposal go on.</summary>
    private void FetchEnded()
    {
        lock (_lock)
        {
            _runningFetches--;
            if (_runningFetches == 0)
            {
                _idle?.TrySetResult();
            }
        }
    }

    private void Complete(CachePage page, FetchRange filled, Exception? error)
    {
        TaskCompletionSource? loaded;
        lock (_lock)
        {
            loaded = page.Loaded;
            page.Loaded = null;
            if (error is null)
            {
                page.Hold(filled, PageLength(page.Key));
                page.IsReady = true;
            }
            else
            {
                _table.Remove(page);
            }
        }

        if (error is null)
        {
            loaded?.TrySetResult();
        }
        else
        {
            loaded?.TrySetException(error);
        }
    }

    /// <summary>Reads a fetch's body into the pages of its run, completing each as it is filled.</summary>
    private sealed class PageRunFill(ReadAheadCache cache, CachePage[] run, FetchRange fetch) : IRangeConsumer
    {
        /// <summary>Pages filled and completed; the rest fail with the fetch.</summary>
        public int Done { get; set; }

        public long ResumeAt => Math.Max(fetch.Start, run[Done].Key * cache._pageSize);

        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
        public async ValueTask ConsumeAsync(Stream body, CancellationToken cancellationToken)
        {
            for (; Done < run.Length; Done++)
            {
                var page = run[Done];
                var pageStart = page.Key * cache._pageSize;
                var part = fetch.Within(pageStart, pageStart + cache.PageLength(page.Key)).Shift(-pageStart);
                var memory = cache._arena.AsMemory((page.Slot * cache._pageSize) + (int)part.Start, (int)part.Length);
                await body.ReadExactlyAsync(memory, cancellationToken);
                cache.Complete(page, part, null);
            }
        }
    }
}
