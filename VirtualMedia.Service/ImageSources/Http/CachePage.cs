namespace VirtualMedia.Service.ImageSources.Http;

/// <summary>One fixed slice of the cache memory and which image page it holds.</summary>
internal sealed class CachePage
{
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

    /// <summary>Start of the bytes of the page that are in (random readers fetch only the blocks they touch).</summary>
    public int ValidFrom { get; private set; }

    /// <summary>End of the bytes of the page that are in.</summary>
    public int ValidTo { get; private set; }

    /// <summary>Completed when a fetch fills (or fails to fill) the page; null when nobody waits.</summary>
    public TaskCompletionSource? Loaded { get; set; }

    /// <summary>True when the in-page range [<paramref name="from"/>, <paramref name="to"/>) is in.</summary>
    public bool Holds(long from, long to) => from >= ValidFrom && to <= ValidTo;

    /// <summary>What to fetch so that [<paramref name="from"/>, <paramref name="to"/>) is in and the bytes in stay
    /// one range: the gap next to what is in (or, for a range around it, the whole range again).</summary>
    public FetchRange Gap(long from, long to) =>
        new(from < ValidFrom ? from : ValidTo, to > ValidTo ? to : ValidFrom);

    /// <summary>Records that the in-page range <paramref name="filled"/> has arrived.</summary>
    public void Hold(FetchRange filled)
    {
        var empty = ValidTo <= ValidFrom;
        ValidFrom = (int)(empty ? filled.Start : Math.Min(ValidFrom, filled.Start));
        ValidTo = (int)(empty ? filled.End : Math.Max(ValidTo, filled.End));
    }

    /// <summary>Drops what the page held, as it is given to another image page.</summary>
    public void Forget() => ValidFrom = ValidTo = 0;
}
