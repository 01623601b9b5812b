namespace VirtualMedia.Service.ImageSources.Http;

/// <summary>Gets byte ranges of the image from wherever it lives, retrying transient failures.</summary>
internal interface IRangeFetcher
{
    /// <summary>Fetches [offset, offset+length) and hands the body to <paramref name="consume"/>; after a transient
    /// failure it fetches again from <paramref name="resumeAt"/>() to the same end and calls <paramref name="consume"/> again.</summary>
    Task FetchAsync(
        long offset,
        int length,
        Func<Stream, CancellationToken, Task> consume,
        Func<long> resumeAt,
        CancellationToken cancellationToken);

    /// <summary>Reads a range straight into <paramref name="destination"/>, bypassing any cache.</summary>
    Task ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken);
}
