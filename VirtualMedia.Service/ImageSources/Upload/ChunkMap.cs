namespace VirtualMedia.Service.ImageSources.Upload;

/// <summary>Which chunks of an image the copy already holds: one bit per chunk (a 4 GiB image at 256 KiB chunks is
/// 2 KiB), the only thing of an upload that grows with the image's size. Safe for concurrent readers and markers.</summary>
internal sealed class ChunkMap
{
    private readonly long[] _bits;
    private long _copiedChunks;
    private long _copiedBytes;

    public ChunkMap(long size, int chunkSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunkSize);
        Size = size;
        ChunkSize = chunkSize;
        Count = (size + chunkSize - 1) / chunkSize;
        _bits = new long[(Count + 63) / 64];
    }

    /// <summary>Bytes of the image.</summary>
    public long Size { get; }

    /// <summary>Bytes per chunk (the last one may be shorter).</summary>
    public int ChunkSize { get; }

    /// <summary>Chunks in the image.</summary>
    public long Count { get; }

    /// <summary>Bytes of the chunks copied so far.</summary>
    public long CopiedBytes => Interlocked.Read(ref _copiedBytes);

    /// <summary>True once every chunk is copied.</summary>
    public bool IsComplete => Interlocked.Read(ref _copiedChunks) == Count;

    /// <summary>The chunk that holds byte <paramref name="offset"/>.</summary>
    public long ChunkOf(long offset) => offset / ChunkSize;

    /// <summary>Where chunk <paramref name="chunk"/> starts.</summary>
    public long StartOf(long chunk) => chunk * ChunkSize;

    /// <summary>Bytes in chunk <paramref name="chunk"/>.</summary>
    public int LengthOf(long chunk) => (int)Math.Min(ChunkSize, Size - StartOf(chunk));

    /// <summary>True when chunk <paramref name="chunk"/> is copied.</summary>
    public bool Has(long chunk) => (Volatile.Read(ref _bits[chunk >> 6]) & (1L << (int)(chunk & 63))) != 0;

    /// <summary>Records chunk <paramref name="chunk"/> as copied (once its bytes are in the file); true the first time.</summary>
    public bool Mark(long chunk)
    {
        var bit = 1L << (int)(chunk & 63);
        if ((Interlocked.Or(ref _bits[chunk >> 6], bit) & bit) != 0)
        {
            return false;
        }

        Interlocked.Add(ref _copiedBytes, LengthOf(chunk));
        Interlocked.Increment(ref _copiedChunks);
        return true;
    }
}
