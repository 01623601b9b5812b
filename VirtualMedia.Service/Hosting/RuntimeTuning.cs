namespace VirtualMedia.Service.Hosting;

/// <summary>Runtime settings that only exist as environment variables, applied before the runtime reads them.</summary>
internal static class RuntimeTuning
{
    private const string InlineSocketCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>Must run before the first socket is created (the runtime reads the variable once, then).</summary>
    /// <remarks>
    /// Socket completions run on the event thread instead of hopping to the thread pool. Every request of ours is
    /// a chain of socket completions (NBD request, ranged GET, TLS records, NBD reply); on the bench (2 cores,
    /// bench/nbd/run.sh, runs interleaved with and without) the hops were most of the difference to nbdkit: random
    /// 4 KiB reads p50 0.31 → 0.16 ms, sequential about 550 → 660 MB/s. Nothing of ours blocks in a socket
    /// continuation: file reads go to the thread pool, D-Bus has its own reader thread. An operator can still set
    /// the variable to 0.
    /// </remarks>
    public static void Apply()
    {
        if (Environment.GetEnvironmentVariable(InlineSocketCompletions) is null)
        {
            Environment.SetEnvironmentVariable(InlineSocketCompletions, "1");
        }
    }
}
