using VirtualMedia.Service.ImageSources.Http;

namespace VirtualMedia.Service.Hosting;

/// <summary>Runtime settings that only exist as environment variables, applied before the runtime reads them.</summary>
internal static class RuntimeTuning
{
    private const string InlineSocketCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
    private const string SocketThreads = "DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT";

    /// <summary>Must run before the first socket is created (the runtime reads the variables once, then). An operator
    /// can still set either variable (e.g. in the unit file): what is set is left alone.</summary>
    /// <remarks>
    /// <para>Socket completions run on the event thread instead of hopping to the thread pool. Every request of ours is
    /// a chain of socket completions (NBD request, ranged GET, TLS records, NBD reply); on the bench (2 cores,
    /// bench/nbd/run.sh, runs interleaved with and without) the hops were most of the difference to nbdkit: random
    /// 4 KiB reads p50 0.31 → 0.16 ms, sequential about 550 → 660 MB/s. Nothing of ours blocks in a socket
    /// continuation: file reads go to the thread pool, D-Bus has its own reader thread.</para>
    /// <para>With inline completions .NET runs one event thread per core, and gives each socket to one of them in
    /// turn: a random read's NBD socket and its GET's connection were on two threads, two cores woken per read. One
    /// thread, where decryption is cheap (AES in hardware): random 4 KiB p99 0.35-0.45 → 0.28-0.35 ms over five runs
    /// of 21-30 a server (nbdkit curl 0.26-0.38), two streams at once through one server 369-392 → 427-488 MB/s with
    /// 15% less CPU, nbdcopy's one connection the same on loopback and at 20 ms level or 2-6% behind (two sessions'
    /// runs). Without AES instructions decryption is the work and is worth spreading: with OpenSSL's AES-NI turned off,
    /// two streams went 214-222 → 186-194 MB/s on one thread. bench/nbd/RESULTS.md has the runs.</para>
    /// </remarks>
    public static void Apply()
    {
        SetUnlessSet(InlineSocketCompletions, "1");
        if (TlsCipherPreference.HasAesInstructions())
        {
            SetUnlessSet(SocketThreads, "1");
        }
    }

    private static void SetUnlessSet(string name, string value)
    {
        if (Environment.GetEnvironmentVariable(name) is null)
        {
            Environment.SetEnvironmentVariable(name, value);
        }
    }
}
