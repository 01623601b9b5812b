namespace VirtualMedia.Service.ImageSources.Http;

/// <summary>Gets byte ranges of the image from wherever it lives, retrying transient failures.</summary>
internal interface IRangeFetcher
{
    /// <summary>Fetches [offset, offset+length) and hands the body to <paramref name="consumer"/>; after a transient
    /// failure it fetches again from the consumer's <see cref="IRangeConsumer.ResumeAt"/> to the same end and hands
    /// that body over too.</summary>
    ValueTask FetchAsync(long offset, int length, IRangeConsumer consumer, CancellationToken cancellationToken);

    /// <summary>Reads a range straight into <paramref name="destination"/>, bypassing any cache.</summary>
    Task ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken);
}
