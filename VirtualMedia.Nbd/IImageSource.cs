namespace VirtualMedia.Nbd;

/// <summary>A disk image the NBD server exports: fixed size, random-access reads, optional writes.</summary>
/// <remarks>
/// The server validates every request (range, length, read-only) before calling in, so implementations
/// only see in-range requests and only see writes when <see cref="IsWritable"/> is true. Failures are
/// reported by throwing <see cref="ImageSourceException"/> (or an <see cref="IOException"/> whose
/// HResult is an errno); anything else becomes EIO.
/// </remarks>
public interface IImageSource : IAsyncDisposable
{
    /// <summary>Size of the image in bytes; constant for the life of the source.</summary>
    long Size { get; }

    /// <summary>True when writes are accepted; the server reports read-only exports to clients otherwise.</summary>
    bool IsWritable { get; }

    /// <summary>True when <see cref="FlushAsync"/> makes completed writes durable.</summary>
    bool CanFlush { get; }

    /// <summary>True when <see cref="TrimAsync"/> can discard ranges.</summary>
    bool CanTrim { get; }

    /// <summary>True when several connections may use the source at once and see each other's flushed writes.</summary>
    bool CanMultiConn { get; }

    /// <summary>Fills <paramref name="buffer"/> with the bytes at <paramref name="offset"/>.</summary>
    ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>Writes <paramref name="data"/> at <paramref name="offset"/>.</summary>
    ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>Makes all completed writes durable.</summary>
    ValueTask FlushAsync(CancellationToken cancellationToken);

    /// <summary>Discards a range (its contents become unspecified).</summary>
    ValueTask TrimAsync(long offset, long length, CancellationToken cancellationToken);
}
