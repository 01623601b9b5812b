using CsCheck;
using VirtualMedia.Service.ImageSources.Http;

namespace VirtualMedia.Tests.Properties;

/// <summary>Whatever reads a cache page serves, in whatever order: it never claims bytes no fetch brought (a reader
/// would get whatever the page held before), and after its fetch a read's bytes are all in.</summary>
[TestFixture]
public sealed class CachePagePropertyTests
{
    /// <summary>A page of the image (a full 64 KiB one or the image's short last one) and reads of it: in-page start and
    /// length, both in bytes.</summary>
    private static readonly Gen<(int PageLength, (int From, int Length)[] Reads)> Pages =
        Gen.OneOf(Gen.Const(CacheGeometry.DefaultPageSize), Gen.Int[1, CacheGeometry.DefaultPageSize])
            .SelectMany(length => Gen.Select(Gen.Int[0, length - 1], Gen.Int[1, length])
                .Select((from, size) => (from, Math.Min(size, length - from)))
                .Array[1, 40]
                .Select(reads => (length, reads)));

    [Test]
    public void HeldBlocksAreExactlyWhatFetchesBrought() =>
        Pages.Sample(page =>
        {
            var cachePage = new CachePage(0);
            var fetched = new bool[page.PageLength];
            foreach (var (from, length) in page.Reads)
            {
                // As the cache asks: block-aligned for random readers, up to the page's end at most.
                var start = from / CachePage.BlockSize * CachePage.BlockSize;
                var end = Math.Min(
                    (from + length + CachePage.BlockSize - 1) / CachePage.BlockSize * CachePage.BlockSize, page.PageLength);
                if (!cachePage.Holds(start, end))
                {
                    var gap = cachePage.Gap(start, end, page.PageLength);
                    if (gap.Start < start || gap.End > end || gap.Length <= 0)
                    {
                        return false;
                    }

                    Array.Fill(fetched, true, (int)gap.Start, (int)gap.Length);
                    cachePage.Hold(gap, page.PageLength);
                }

                if (!cachePage.Holds(start, end))
                {
                    return false;
                }
            }

            // Every block the page says it holds was fetched, byte for byte.
            for (var block = 0; block * CachePage.BlockSize < page.PageLength; block++)
            {
                var blockStart = block * CachePage.BlockSize;
                var blockEnd = Math.Min(blockStart + CachePage.BlockSize, page.PageLength);
                if (cachePage.Holds(blockStart, blockEnd) && fetched.AsSpan(blockStart, blockEnd - blockStart).Contains(false))
                {
                    return false;
                }
            }

            return true;
        });
}
