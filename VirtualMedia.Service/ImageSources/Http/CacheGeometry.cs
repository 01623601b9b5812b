namespace VirtualMedia.Service.ImageSources.Http;

/// <summary>Sizes of the read-ahead cache: page, total memory, sequential fetch and window, parallelism, and the
/// streamed GET of a sequential reader with how long it waits for its reader.</summary>
internal sealed record CacheGeometry(
    int PageSize, int CacheSize, int FetchSize, int ReadAhead, int MaxParallelFetches, int StreamSize, TimeSpan ReaderPause)
{
    /// <summary>The unit of caching and eviction; random readers fetch only the 4 KiB blocks of it they touch.</summary>
    public const int DefaultPageSize = 64 * 1024;

    public static CacheGeometry From(ImageSourceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var cacheSize = Math.Max(options.CacheSize, 4 * DefaultPageSize);
        return new CacheGeometry(
            DefaultPageSize,
            cacheSize,
            Math.Max(options.FetchSize, DefaultPageSize),
            Math.Max(options.ReadAhead, DefaultPageSize),
            Math.Max(options.MaxParallelFetches, 1),
            Math.Max(options.StreamSize / DefaultPageSize, 1) * DefaultPageSize,
            // Under the stall timeout: a stream waiting for its reader reads nothing, and must let its GET go before
            // the silence counts as the server's.
            TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(1).Ticks, options.StallTimeout.Ticks / 2)));
    }
}
