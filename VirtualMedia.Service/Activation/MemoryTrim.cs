namespace VirtualMedia.Service.Activation;

/// <summary>Gives the memory of a finished phase (start-up, a removed medium's cache) back to the system a moment later.</summary>
/// <remarks>
/// The GC would return it only at its next full collection, which an idle service may never reach: the BMC carried a
/// removed medium's 8 MiB cache, pinned and committed, until the next Mount (measured: 35 MiB resident after Unmount, 16
/// at start). Not at once: a teardown's caller runs as its continuation, so the frames that held the medium are still on
/// the stack then and keep it alive. A second later they are gone; one compacting collection of this small heap takes a
/// few milliseconds, and happens only after a start or a removal. Calls within that second make one collection.
/// </remarks>
internal static class MemoryTrim
{
    private static readonly TimeSpan Delay = TimeSpan.FromSeconds(1);
    private static readonly Timer Timer = new(
        static _ => GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true),
        null,
        Timeout.InfiniteTimeSpan,
        Timeout.InfiniteTimeSpan);

    /// <summary>Collects every generation, compacts and decommits what is free, a second from now.</summary>
    public static void Soon() => Timer.Change(Delay, Timeout.InfiniteTimeSpan);
}
