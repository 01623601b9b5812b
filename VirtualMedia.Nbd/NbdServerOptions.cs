namespace VirtualMedia.Nbd;

/// <summary>Tuning and observation hooks of an <see cref="NbdServer"/>.</summary>
public sealed class NbdServerOptions
{
    /// <summary>Requests of one connection served at once; further requests wait unread on the socket.</summary>
    public int MaxInFlightRequests { get; init; } = 8;

    /// <summary>Request buffers kept for later connections once a connection ends, in bytes; the rest is dropped.</summary>
    public long RetainedBufferBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Called when a connection ends because of an error (protocol violation, broken socket).</summary>
    public Action<Exception>? ConnectionFailed { get; init; }
}
