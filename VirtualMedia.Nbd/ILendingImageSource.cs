namespace VirtualMedia.Nbd;

/// <summary>An image source whose bytes already sit in memory of its own (a cache), lent to the server so a read reply
/// is sent straight from it: no request buffer, no copy.</summary>
/// <remarks>A lease holds that memory from being reused, so a client that does not read its replies holds it too: a
/// source bounds what it lends and answers null past the bound; the server then reads into a buffer from its budget as
/// for any source.</remarks>
public interface ILendingImageSource : IImageSource
{
    /// <summary>The <paramref name="length"/> bytes at <paramref name="offset"/>, in the source's own memory until the
    /// lease is disposed; null when the source cannot lend them now.</summary>
    ValueTask<IImageLease?> LendAsync(long offset, int length, CancellationToken cancellationToken);

    /// <summary>Bytes the source can hold for reads at once; a connection serves no more than this of reads at a time
    /// (the first however large), the rest waiting on its socket.</summary>
    long LendableBytes { get; }
}
