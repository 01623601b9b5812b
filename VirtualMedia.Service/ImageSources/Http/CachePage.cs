using System.Numerics;

namespace VirtualMedia.Service.ImageSources.Http;

/// <summary>One fixed slice of the cache memory and which image page it holds.</summary>
internal sealed class CachePage
{
    /// <summary>Bytes in a block, the unit a page's content is tracked in: random readers fetch just the blocks they
    /// touch (the kernel's and most file systems' block).</summary>
    public const int BlockSize = 4096;

    /// <summary>Most blocks a page can have (one bit each in <see cref="_held"/>).</summary>
    public const int MaxBlocks = 64;

    /// <summary>Bit i set: block i of the page is in (the last block of the image's last page may be short).</summary>
    private ulong _held;

    public CachePage(int slot)
    {
        Slot = slot;
    }

    /// <summary>Position of the page's memory in the cache arena.</summary>
    public int Slot { get; }

    /// <summary>Image page number held (offset / page size), or -1 when free.</summary>
    public long Key { get; set; } = -1;

    /// <summary>True once the data is in; false while a fetch is filling it.</summary>
    public bool IsReady { get; set; }

    /// <summary>Readers copying out of (or waiting for) the page; a pinned page is never evicted.</summary>
    public int Pins { get; set; }

    /// <summary>Second-chance bit of the clock eviction.</summary>
    public bool Referenced { get; set; }

    /// <summary>Completed when a fetch fills (or fails to fill) the page; null when nobody waits.</summary>
    public TaskCompletionSource? Loaded { get; set; }

    /// <summary>True when every block touching the in-page range [<paramref name="from"/>, <paramref name="to"/>) is in.</summary>
    public bool Holds(long from, long to) => (_held & Blocks(from, to)) == Blocks(from, to);

    /// <summary>What to fetch so that [<paramref name="from"/>, <paramref name="to"/>) of a page of
    /// <paramref name="pageLength"/> bytes is in: from its first missing block to the end of its last, in one GET.
    /// Blocks already in between are fetched again (the same bytes: the image is pinned); blocks in elsewhere in the
    /// page are left alone, so a random read next to another costs one block, not the span between them.</summary>
    public FetchRange Gap(long from, long to, int pageLength)
    {
        var missing = Blocks(from, to) & ~_held;
        var first = BitOperations.TrailingZeroCount(missing);
        var last = 63 - BitOperations.LeadingZeroCount(missing);
        return new FetchRange((long)first * BlockSize, Math.Min((long)(last + 1) * BlockSize, pageLength));
    }

    /// <summary>Records that the in-page range <paramref name="filled"/> of a page of <paramref name="pageLength"/>
    /// bytes has arrived: the blocks it covers whole, and the page's short last block if it reaches the page's end.</summary>
    public void Hold(FetchRange filled, int pageLength)
    {
        var first = (int)((filled.Start + BlockSize - 1) / BlockSize);
        var end = filled.End >= pageLength ? (pageLength + BlockSize - 1) / BlockSize : (int)(filled.End / BlockSize);
        if (end > first)
        {
            _held |= Span(first, end);
        }
    }

    /// <summary>Drops what the page held, as it is given to another image page.</summary>
    public void Forget() => _held = 0;

    /// <summary>The blocks touching the in-page range [<paramref name="from"/>, <paramref name="to"/>).</summary>
    private static ulong Blocks(long from, long to) =>
        to <= from ? 0 : Span((int)(from / BlockSize), (int)((to + BlockSize - 1) / BlockSize));

    /// <summary>Bits [<paramref name="first"/>, <paramref name="end"/>).</summary>
    private static ulong Span(int first, int end) =>
        (end - first == 64 ? ulong.MaxValue : ((1UL << (end - first)) - 1)) << first;
}
