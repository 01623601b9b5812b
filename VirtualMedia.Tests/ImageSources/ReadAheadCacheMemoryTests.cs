using VirtualMedia.Service.ImageSources.Http;
using static VirtualMedia.Tests.ResourceBounds.ProcessResources;

namespace VirtualMedia.Tests.ImageSources;

/// <summary>The cache's memory is mapped when the cache is made, not page by page under a random reader's misses
/// (each first touch was a page fault a 4 KiB read waited ~45 µs for).</summary>
[TestFixture]
[NonParallelizable]
public sealed class ReadAheadCacheMemoryTests
{
    private const int PageSize = CacheGeometry.DefaultPageSize;
    private const int CacheSize = 64 * 1024 * 1024;

    [Test]
    public async Task TheWholeArenaIsResidentOnceTheCacheIsMade()
    {
        var image = new byte[PageSize];
        var geometry = new CacheGeometry(
            PageSize, CacheSize, 2 * PageSize, 4 * PageSize, 2, 8 * PageSize, TimeSpan.FromSeconds(1));
        // Free memory the GC still holds could take the arena without the process growing: give it back first.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var before = Resident(Environment.ProcessId);

        await using var cache = new ReadAheadCache(new FakeMemoryRangeFetcher(image), image.Length, geometry);

        var grown = Resident(Environment.ProcessId) - before;
        grown.Should().BeGreaterThanOrEqualTo(
            CacheSize * 7L / 8, $"the {CacheSize / MiB} MiB arena is mapped at once (the process grew {InMiB(grown)} MiB)");
    }
}
