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

    /// <summary>Completed when a fetch fills (or fails to fill) the page; null when nobody waits.</summary>
    public TaskCompletionSource? Loaded { get; set; }
}
