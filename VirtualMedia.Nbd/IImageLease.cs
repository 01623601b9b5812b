namespace VirtualMedia.Nbd;

/// <summary>Bytes of an image lent by an <see cref="ILendingImageSource"/>, in order; disposing gives them back.</summary>
public interface IImageLease : IDisposable
{
    /// <summary>The bytes, in as few pieces as the source's memory allows; valid until the lease is disposed.</summary>
    IReadOnlyList<ReadOnlyMemory<byte>> Segments { get; }
}
