using VirtualMedia.Service.ImageSources.Http;

namespace VirtualMedia.Tests.ImageSources;

/// <summary>How the cache gives sequential readers their streamed GETs, against a fake fetcher that records them.</summary>
[TestFixture]
public sealed class ReadAheadStreamsTests
{
    private const int PageSize = CacheGeometry.DefaultPageSize;
    private const int StreamPages = 32;

    [Test]
    public async Task AReaderWithNoStreamTakesThePlaceOfOneWaitingForAReaderThatMovedOn()
    {
        var image = RandomImage(5);
        var fetcher = new FakeMemoryRangeFetcher(image);
        // One stream at a time, and a reader pause longer than the test: only giving way frees the place. A stream is
        // taken once its reader has been still for a tenth of the pause.
        var geometry = Geometry(1, TimeSpan.FromSeconds(3));
        await using var cache = new ReadAheadCache(fetcher, image.Length, geometry);
        var buffer = new byte[PageSize];

        // nbdcopy's reader, done with one region, moves to the next: its first stream waits for it where it left off.
        await ReadPagesAsync(cache, buffer, from: 0, count: 6);
        await Task.Delay(500);
        await ReadPagesAsync(cache, buffer, from: 128, count: 12);

        fetcher.Fetches.Should().Contain(
            fetch => fetch.Start >= 128L * PageSize && fetch.Length == StreamPages * PageSize,
            "the reader's new region is streamed, not read by a demand GET per window");
        fetcher.Fetches.Count(fetch => fetch.Start >= 128L * PageSize)
            .Should().BeLessThanOrEqualTo(5, "the reads before the reader is known as sequential, then one stream");
    }

    [Test]
    public async Task TheNextGetIsAskedForBeforeTheWindowReachesTheEndOfTheOneBefore()
    {
        var image = RandomImage(6);
        var fetcher = new FakeMemoryRangeFetcher(image);
        var geometry = Geometry(2, TimeSpan.FromSeconds(3));
        await using var cache = new ReadAheadCache(fetcher, image.Length, geometry);
        var buffer = new byte[PageSize];

        await ReadPagesAsync(cache, buffer, from: 0, count: 24);

        var first = fetcher.Fetches.First(fetch => fetch.Length == StreamPages * PageSize);
        fetcher.Fetches.Should().Contain(
            new FetchRange(first.End, first.End + (StreamPages * PageSize)),
            "a reader this steady reaches the end of its GET within half the reader pause: the next is asked for while "
            + "its window is still far from that end");
    }

    [Test]
    public async Task ASlowReadersNextGetIsNotAskedForLongBeforeItIsNeeded()
    {
        var image = RandomImage(0);
        var fetcher = new FakeMemoryRangeFetcher(image);
        // A reader pause of 200 ms: a GET asked for more than 100 ms before its reader needs it would wait long enough
        // to be let go. At a page per 20 ms or slower, that is the last 5 pages of the stream before, not 12.
        var geometry = Geometry(2, TimeSpan.FromMilliseconds(200));
        await using var cache = new ReadAheadCache(fetcher, image.Length, geometry);

        await ReadPagesAsync(cache, new byte[PageSize], from: 0, count: 24);

        var first = fetcher.Fetches.First(fetch => fetch.Length == StreamPages * PageSize);
        fetcher.Fetches.Should().NotContain(fetch => fetch.Start >= first.End);
    }

    [Test]
    public async Task ChainedGetsHandEachPageOverOnceAndInOrder()
    {
        var image = RandomImage(7);
        var fetcher = new FakeMemoryRangeFetcher(image);
        var geometry = Geometry(2, TimeSpan.FromSeconds(3));
        await using var cache = new ReadAheadCache(fetcher, image.Length, geometry);
        var read = new byte[image.Length];

        for (var offset = 0; offset < image.Length; offset += PageSize / 2)
        {
            await cache.ReadAsync(offset, read.AsMemory(offset, PageSize / 2), CancellationToken.None);
        }

        read.Should().Equal(image);
        fetcher.BytesFetched.Should().Be(image.Length, "no page is fetched twice");
        fetcher.Fetches.Where(fetch => fetch.Length == StreamPages * PageSize).Should().HaveCountGreaterThanOrEqualTo(
            6, "the reader went on through chained streamed GETs, not demand fetches");
    }

    [Test]
    public async Task NoNextGetIsAskedForEarlyWhenEveryPlaceIsTaken()
    {
        var image = RandomImage(0);
        var fetcher = new FakeMemoryRangeFetcher(image);
        // One streamed GET at a time, as many as the connections the cache may hold for them.
        var geometry = Geometry(1, TimeSpan.FromSeconds(3));
        await using var cache = new ReadAheadCache(fetcher, image.Length, geometry);

        await ReadPagesAsync(cache, new byte[PageSize], from: 0, count: 24);

        fetcher.Fetches.Should().NotContain(fetch => fetch.Start >= StreamPages * PageSize);
    }

    [TestCase(false, TestName = "A next GET asked for early gives way to a reader with no stream")]
    [TestCase(true, TestName = "A next GET still waiting for its answer gives way to a reader with no stream")]
    public async Task ANextGetAskedForEarlyGivesWayToAReaderWithNoStream(bool answerLate)
    {
        var image = RandomImage(0);
        // Late: the first reader's next GET is still waiting for its answer (a round trip) when the second reader
        // comes; every other GET is answered at once.
        var fetcher = new FakeMemoryRangeFetcher(
            image,
            offset => answerLate && offset >= StreamPages * PageSize && offset < 160L * PageSize
                ? TimeSpan.FromSeconds(10)
                : TimeSpan.Zero);
        var geometry = Geometry(2, TimeSpan.FromSeconds(30));
        await using var cache = new ReadAheadCache(fetcher, image.Length, geometry);
        var buffer = new byte[PageSize];

        // The first reader's stream and the one after it take both places; the pause is longer than the test, so
        // only giving way frees one.
        await ReadPagesAsync(cache, buffer, from: 0, count: 24);
        fetcher.Fetches.Count(fetch => fetch.Length == StreamPages * PageSize).Should().Be(2);
        await ReadPagesAsync(cache, buffer, from: 160, count: 12);

        fetcher.Fetches.Should().Contain(
            fetch => fetch.Start >= 160L * PageSize && fetch.Length == StreamPages * PageSize,
            "the second reader is streamed to, not left to a demand GET per window");
    }

    /// <summary>A 2 MiB cache, windows of 4 pages and streamed GETs of 32: small enough to see every GET.</summary>
    private static CacheGeometry Geometry(int streams, TimeSpan readerPause) =>
        new(PageSize, 32 * PageSize, 2 * PageSize, 4 * PageSize, streams, StreamPages * PageSize, readerPause);

    private static byte[] RandomImage(int seed)
    {
        var image = new byte[256 * PageSize];
        new Random(seed).NextBytes(image);
        return image;
    }

    private static async Task ReadPagesAsync(ReadAheadCache cache, byte[] buffer, int from, int count)
    {
        for (var page = from; page < from + count; page++)
        {
            await cache.ReadAsync((long)page * PageSize, buffer, CancellationToken.None);
            // The stream's window is claimed and read before the reader asks for the next page, as with a reader
            // slower than the link.
            await Task.Delay(20);
        }
    }
}
