namespace VirtualMedia.Service.ImageSources.Http;

/// <summary>Sizes of the read-ahead cache: page, total memory, sequential fetch and window, parallelism.</summary>
internal sealed record CacheGeometry(int PageSize, int CacheSize, int FetchSize, int ReadAhead, int MaxParallelFetches)
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
            Math.Max(options.MaxParallelFetches, 1));
    }
}
