using VirtualMedia.Nbd;
using VirtualMedia.Service.ImageSources.Upload;

namespace VirtualMedia.Service.Activation;

/// <summary>
/// A legacy image that passed the quick checks of a Mount and is open: the source the slot's NBD
/// export will serve, and whatever had to be set up to reach it (a share mount), released on dispose.
/// </summary>
/// <param name="Source">The opened image.</param>
/// <param name="Release">Undoes what opening needed besides the source (a share mount); null when nothing.</param>
internal sealed record PreparedImage(IImageSource Source, IAsyncDisposable? Release) : IAsyncDisposable
{
    /// <summary>True when the host may write: the Mount asked for it and the source can.</summary>
    public bool Writable => Source.IsWritable;

    /// <summary>Watches the link of a web image (its failure ejects the slot); null for files and shares.</summary>
    public SourceWatch? Watch { get; init; }

    /// <summary>How far the copy to BMC storage has come (TransferMethod Upload); null when the image streams.</summary>
    public Func<TransferProgress>? Transfer { get; init; }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            await Source.DisposeAsync();
        }
        finally
        {
            if (Release is not null)
            {
                await Release.DisposeAsync();
            }
        }
    }
}
