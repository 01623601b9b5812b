using System.Runtime.CompilerServices;

namespace VirtualMedia.Service.ImageSources.Http;

/// <summary>Lending: a read's pages stay pinned while the NBD reply is sent straight from the arena, instead of
/// being copied into a request buffer (nbdcopy's 32 reads of 256 KiB in flight held 8 MiB of buffers besides the cache).</summary>
/// <remarks>A client that does not read its replies keeps its lent pages pinned, and pinned pages cannot be given to
/// other reads: lent pages are bounded to half the cache, and past that a read is declined (the server copies it).
/// </remarks>
internal sealed partial class ReadAheadCache
{
    private int _lentPages;

    /// <summary>Most pages lent at once.</summary>
    private int MaxLentPages => _pageCount / 2;

    /// <summary>Bytes of the most pages lent at once.</summary>
    public long LendableBytes => (long)MaxLentPages * _pageSize;

    /// <summary>The <paramref name="length"/> bytes at <paramref name="offset"/> in the cache's pages, fetched if
    /// missing and pinned until the lease is disposed; null when lending them would pin more than
    /// <see cref="MaxLentPages"/> or the cache has no room.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<CacheLease?> LendAsync(long offset, int length, CancellationToken cancellationToken)
    {
        var pages = (int)(((offset + length - 1) / _pageSize) - (offset / _pageSize) + 1);
        lock (_lock)
        {
            if (_lentPages + pages > MaxLentPages)
            {
                return null;
            }

            _lentPages += pages;
        }

        var plan = Plan(offset, length);
        var lease = new CacheLease(this, _arena, pages);
        try
        {
            for (var (end, first) = (offset + length, true); offset < end; first = false)
            {
                var key = offset / _pageSize;
                var page = await AcquireAsync(plan, first, offset, (int)(end - offset), cancellationToken);
                if (page is null)
                {
                    lease.Dispose();
                    return null;
                }

                var inPage = (int)(offset - (key * _pageSize));
                var count = (int)Math.Min(end - offset, PageLength(key) - inPage);
                var readToEnd = plan.Sequential && inPage + count == PageLength(key);
                lease.Add(page, key, (page.Slot * _pageSize) + inPage, count, readToEnd);
                offset += count;
            }

            return lease;
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    /// <summary>Unpins the pages of a lease and counts them out of the lent pages.</summary>
    internal void Return(CacheLease lease)
    {
        lock (_lock)
        {
            // By index: a foreach over the pages boxed an enumerator per lease.
            for (var i = 0; i < lease.PageCount; i++)
            {
                var (page, key, readToEnd) = lease.Page(i);
                ReleaseLocked(page, key, readToEnd);
            }

            _lentPages -= lease.Reserved;
        }
    }
}
