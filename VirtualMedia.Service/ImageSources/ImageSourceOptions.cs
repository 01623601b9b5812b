namespace VirtualMedia.Service.ImageSources;

/// <summary>Policy and tuning for opening image URLs.</summary>
internal sealed record ImageSourceOptions
{
    /// <summary>Plain http:// URLs are refused unless this is on.</summary>
    public bool AllowHttp { get; init; }

    /// <summary>Extra trusted CA certificates (PEM files) besides the system store.</summary>
    public string? CaDirectory { get; init; }

    /// <summary>Accepts any server certificate (self-signed test servers); logged as a warning.</summary>
    public bool SkipCertificateVerification { get; init; }

    /// <summary>Follows HTTP redirects (off: a redirect is an error naming where it pointed).</summary>
    public bool AllowRedirects { get; init; }

    /// <summary>The only directory file:// images may come from; null refuses file:// altogether.</summary>
    public string? ImageDirectory { get; init; }

    /// <summary>Opens the image for writing too (file:// only; web images are always read-only).</summary>
    public bool Writable { get; init; }

    /// <summary>Bytes of memory for the read-ahead block cache of web images.</summary>
    public int CacheSize { get; init; } = 8 * 1024 * 1024;

    /// <summary>How far ahead of a sequential reader blocks are fetched, at most (the cache's share of each reader
    /// bounds it).</summary>
    public int ReadAhead { get; init; } = 8 * 1024 * 1024;

    /// <summary>Bytes per ranged GET of a sequential reader's miss, at most (the cache's share of each reader bounds
    /// it); the read-ahead's streamed GETs are longer.</summary>
    public int FetchSize { get; init; } = 8 * 1024 * 1024;

    /// <summary>Bytes a sequential reader's read-ahead asks for in one ranged GET, read a window at a time as the reader
    /// moves on (the connection's own buffers hold what is ahead of the window, not the cache).</summary>
    /// <remarks>64 MiB: 16 GETs per GiB streamed; a reader that stops or jumps costs the rest of a GET only what the
    /// connection had buffered, as the GET is let go.</remarks>
    public int StreamSize { get; init; } = 64 * 1024 * 1024;

    /// <summary>Sequential readers read ahead of at once (one streamed GET each), over pooled keep-alive connections.</summary>
    public int MaxParallelFetches { get; init; } = 4;

    /// <summary>Connections to the server beyond what the read-ahead and the host's reads need: an Upload's chunk copies
    /// get their own, so that a host's read does not queue behind a copy on a slow link.</summary>
    public int ExtraConnections { get; init; }

    /// <summary>Time allowed for the first contact (connect, TLS, size probe).</summary>
    public TimeSpan ProbeTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long the source may keep failing (no fetch succeeding) while reads retry; past it the source has
    /// failed for good and every read answers EIO at once.</summary>
    public TimeSpan OutageBudget { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>How long a fetch may wait for the server's next bytes before it counts as failed and is retried.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Told when a web image's link starts failing, recovers, or is given up; null: nobody listens.</summary>
    public ISourceHealthObserver? HealthObserver { get; init; }

    /// <summary>Offers HTTP/2 over TLS (used when the server agrees); HTTP/1.1 otherwise.</summary>
    /// <remarks>Off by default: against nginx, .NET's HTTP/1.1 over several pooled connections read faster, with less
    /// CPU, less memory and lower random-read latency than HTTP/2 in every benchmark run (bench/nbd), because each
    /// ranged GET gets its own connection and TLS stream instead of sharing one connection's frames and windows.</remarks>
    public bool PreferHttp2 { get; init; }
}
