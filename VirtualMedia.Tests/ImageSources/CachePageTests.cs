using VirtualMedia.Service.ImageSources.Http;

namespace VirtualMedia.Tests.ImageSources;

/// <summary>What a partly filled cache page fetches next: the bytes it holds stay one range.</summary>
[TestFixture]
public sealed class CachePageTests
{
    // The page holds [16384, 20480).
    [TestCase(24576, 28672, 20480, 28672, 16384, 28672, TestName = "Right of what is in: from its end")]
    [TestCase(4096, 8192, 4096, 16384, 4096, 20480, TestName = "Left of what is in: up to its start")]
    [TestCase(12288, 20480, 12288, 16384, 12288, 20480, TestName = "Overlapping its start: the missing part")]
    [TestCase(16384, 24576, 20480, 24576, 16384, 24576, TestName = "Overlapping its end: the missing part")]
    [TestCase(4096, 24576, 4096, 24576, 4096, 24576, TestName = "Around it: the whole range again")]
    public void GapKeepsTheHeldBytesOneRange(long from, long to, long gapStart, long gapEnd, int heldStart, int heldEnd)
    {
        var page = new CachePage(0);
        page.Hold(new FetchRange(16384, 20480));

        page.Holds(from, to).Should().BeFalse();
        var gap = page.Gap(from, to);
        gap.Should().Be(new FetchRange(gapStart, gapEnd));
        page.Hold(gap);
        page.Holds(from, to).Should().BeTrue();
        (page.ValidFrom, page.ValidTo).Should().Be((heldStart, heldEnd));
    }

    [Test]
    public void ForgottenPageHoldsNothing()
    {
        var page = new CachePage(0);
        page.Hold(new FetchRange(0, 65536));
        page.Forget();

        page.Holds(0, 4096).Should().BeFalse();
        page.Hold(new FetchRange(8192, 12288));
        (page.ValidFrom, page.ValidTo).Should().Be((8192, 12288));
    }
}
