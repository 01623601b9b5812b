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
        var image = new byte[256 * PageSize];
        new Random(5).NextBytes(image);
        var fetcher = new FakeMemoryRangeFetcher(image);
        // One stream at a time, and a reader pause longer than the test: only giving way frees the place. A stream is
        // taken once its reader has been still for a tenth of the pause.
        var geometry = new CacheGeometry(
            PageSize, 32 * PageSize, 2 * PageSize, 4 * PageSize, 1, StreamPages * PageSize, TimeSpan.FromSeconds(3));
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
