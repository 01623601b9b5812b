using VirtualMedia.Service.ImageSources.Http;

namespace VirtualMedia.Tests.ImageSources;

/// <summary>The cache lends its pages for NBD replies: the bytes are the image's, stay so while lent however much else
/// is read, and lending stops at half the cache so that other reads still find room.</summary>
[TestFixture]
public sealed class ReadAheadCacheLendingTests
{
    private const int PageSize = CacheGeometry.DefaultPageSize;
    private const int CachePages = 16;

    [Test]
    public async Task LentBytesAreTheImagesAndStaySoWhileEverythingElseIsReadThroughTheCache()
    {
        var image = RandomImage(64 * PageSize);
        await using var cache = Cache(image, out _);

        using var lease = await cache.LendAsync(1000, 3 * PageSize, CancellationToken.None);
        lease.Should().NotBeNull();
        Joined(lease!).Should().Equal(image.AsSpan(1000, 3 * PageSize).ToArray());
        lease!.Segments.Count.Should().BeLessThanOrEqualTo(4, "one segment per page at most, fewer where pages adjoin");

        // Four times the cache read sequentially: every page not pinned is given to other image pages meanwhile.
        var buffer = new byte[PageSize];
        for (var offset = 4 * PageSize; offset < image.Length; offset += PageSize)
        {
            await cache.ReadAsync(offset, buffer, CancellationToken.None);
            buffer.Should().Equal(image.AsSpan(offset, PageSize).ToArray());
        }

        Joined(lease).Should().Equal(image.AsSpan(1000, 3 * PageSize).ToArray(), "lent pages are never reused");
    }

    [Test]
    public async Task LendingStopsAtHalfTheCacheAndResumesWhenALeaseIsGivenBack()
    {
        var image = RandomImage(64 * PageSize);
        await using var cache = Cache(image, out var fetcher);

        var first = await cache.LendAsync(0, 4 * PageSize, CancellationToken.None);
        using var second = await cache.LendAsync(20 * PageSize, 4 * PageSize, CancellationToken.None);
        first.Should().NotBeNull();
        second.Should().NotBeNull();
        (await cache.LendAsync(40 * PageSize, PageSize, CancellationToken.None))
            .Should().BeNull("half the cache (8 pages) is lent already");

        var buffer = new byte[2 * PageSize];
        await cache.ReadAsync(50 * PageSize, buffer, CancellationToken.None);
        buffer.Should().Equal(image.AsSpan(50 * PageSize, 2 * PageSize).ToArray(), "a copied read still finds room");

        first!.Dispose();
        first.Dispose();
        using var third = await cache.LendAsync(40 * PageSize, 4 * PageSize, CancellationToken.None);
        third.Should().NotBeNull("a lease given back (twice, counted once) makes room to lend again");
        Joined(third!).Should().Equal(image.AsSpan(40 * PageSize, 4 * PageSize).ToArray());
        fetcher.BytesFetched.Should().BeGreaterThan(0);
    }

    private static ReadAheadCache Cache(byte[] image, out FakeMemoryRangeFetcher fetcher)
    {
        fetcher = new FakeMemoryRangeFetcher(image);
        var geometry = new CacheGeometry(
            PageSize, CachePages * PageSize, 2 * PageSize, 4 * PageSize, 2, 8 * PageSize, TimeSpan.FromSeconds(1));
        return new ReadAheadCache(fetcher, image.Length, geometry);
    }

    private static byte[] Joined(CacheLease lease) => [.. lease.Segments.SelectMany(segment => segment.ToArray())];

    private static byte[] RandomImage(int size)
    {
        var image = new byte[size];
        new Random(size).NextBytes(image);
        return image;
    }
}
