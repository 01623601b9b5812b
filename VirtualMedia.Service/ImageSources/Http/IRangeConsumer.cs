namespace VirtualMedia.Service.ImageSources.Http;

/// <summary>What a fetch hands its response body to: one object per fetch instead of a closure and two delegates (a
/// random reader makes a fetch per read, and every byte allocated brings its next collection closer).</summary>
internal interface IRangeConsumer
{
    /// <summary>Where a retried GET starts: the first byte not consumed yet.</summary>
    long ResumeAt { get; }

    /// <summary>Reads an attempt's body; after a transient failure, called again with the retried GET's.</summary>
    ValueTask ConsumeAsync(Stream body, CancellationToken cancellationToken);
}
