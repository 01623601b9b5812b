using VirtualMedia.Service.ImageSources.Http;

namespace VirtualMedia.Tests.ImageSources;

/// <summary>What a partly filled cache page fetches next: the missing blocks of a read, never the span between it and
/// blocks held elsewhere in the page.</summary>
[TestFixture]
public sealed class CachePageTests
{
    private const int PageLength = 65536;

    // The page holds [16384, 20480), block 4.
    [TestCase(24576, 28672, 24576, 28672, TestName = "Right of what is in: just the block asked for")]
    [TestCase(4096, 8192, 4096, 8192, TestName = "Left of what is in: just the block asked for")]
    [TestCase(60 * 1024, 64 * 1024, 60 * 1024, 64 * 1024, TestName = "The page's last block, far from what is in")]
    [TestCase(12288, 20480, 12288, 16384, TestName = "Overlapping its start: the missing part")]
    [TestCase(16384, 24576, 20480, 24576, TestName = "Overlapping its end: the missing part")]
    [TestCase(4096, 24576, 4096, 24576, TestName = "Around it: one GET from the first missing block to the last")]
    [TestCase(13000, 13100, 12288, 16384, TestName = "Part of a block: the whole block")]
    public void GapIsTheMissingBlocksOfTheRead(long from, long to, long gapStart, long gapEnd)
    {
        var page = new CachePage(0);
        page.Hold(new FetchRange(16384, 20480), PageLength);

        page.Holds(from, to).Should().BeFalse();
        var gap = page.Gap(from, to, PageLength);
        gap.Should().Be(new FetchRange(gapStart, gapEnd));
        page.Hold(gap, PageLength);
        page.Holds(from, to).Should().BeTrue();
        page.Holds(16384, 20480).Should().BeTrue("what was in stays in");
    }

    [Test]
    public void TwoRandomBlocksOfOnePageAreBothHeld()
    {
        var page = new CachePage(0);
        page.Hold(new FetchRange(0, 4096), PageLength);
        page.Hold(page.Gap(61440, 65536, PageLength), PageLength);

        page.Holds(0, 4096).Should().BeTrue();
        page.Holds(61440, 65536).Should().BeTrue();
        page.Holds(4096, 8192).Should().BeFalse();
        page.Gap(0, 65536, PageLength).Should().Be(new FetchRange(4096, 61440));
    }

    [Test]
    public void AShortLastPageIsHeldToItsEnd()
    {
        // The image's last page: 10000 bytes, its third block 1808 bytes long.
        var page = new CachePage(0);
        page.Gap(8192, 10000, 10000).Should().Be(new FetchRange(8192, 10000));
        page.Hold(new FetchRange(8192, 10000), 10000);

        page.Holds(8192, 10000).Should().BeTrue();
        page.Holds(0, 10000).Should().BeFalse();
        page.Gap(0, 10000, 10000).Should().Be(new FetchRange(0, 8192));
    }

    [Test]
    public void APartlyFilledBlockIsNotHeld()
    {
        var page = new CachePage(0);
        page.Hold(new FetchRange(0, 6000), PageLength);

        page.Holds(0, 4096).Should().BeTrue();
        page.Holds(4096, 6000).Should().BeFalse("block 1 is only partly in");
        page.Gap(0, 8192, PageLength).Should().Be(new FetchRange(4096, 8192));
    }

    [Test]
    public void ForgottenPageHoldsNothing()
    {
        var page = new CachePage(0);
        page.Hold(new FetchRange(0, PageLength), PageLength);
        page.Forget();

        page.Holds(0, 4096).Should().BeFalse();
        page.Hold(new FetchRange(8192, 12288), PageLength);
        page.Holds(8192, 12288).Should().BeTrue();
        page.Holds(4096, 8192).Should().BeFalse();
    }
}
