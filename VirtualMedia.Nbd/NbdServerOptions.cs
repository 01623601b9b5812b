using VirtualMedia.Nbd.Protocol;

namespace VirtualMedia.Nbd;

/// <summary>Tuning and observation hooks of an <see cref="NbdServer"/>.</summary>
public sealed class NbdServerOptions
{
    /// <summary>Requests of one connection served at once; further requests wait unread on the socket.</summary>
    public int MaxInFlightRequests { get; init; } = 8;

    /// <summary>Bytes of request and reply buffers all connections together may hold, in use or kept idle; requests
    /// wait for room rather than allocate beyond it. At least 32 MiB, the largest request the server accepts.</summary>
    /// <remarks>48 MiB by default: one maximum-size request plus 16 MiB for ordinary ones meanwhile.</remarks>
    public long BufferBudgetBytes { get; init; } = 48 * 1024 * 1024;

    /// <summary>Idle request buffers kept for later requests and connections, in bytes (within the budget); the rest is dropped.</summary>
    /// <remarks>32 MiB by default, so that one maximum-size buffer is reused: dropped, each 32 MiB read allocated a new one,
    /// and the garbage of 64 clients' reads grew the heap by 170 MiB before a collection (NbdServeMemoryTests).</remarks>
    public long RetainedBufferBytes { get; init; } = NbdConstants.MaxPayload;

    /// <summary>Called when a connection ends because of an error (protocol violation, broken socket).</summary>
    public Action<Exception>? ConnectionFailed { get; init; }
}
