namespace VirtualMedia.Service.ImageSources.Upload;

/// <summary>How far a slot's copy of its image has come: the Transfer interface's BytesCopied, Size and Complete.</summary>
/// <param name="BytesCopied">Bytes in BMC storage so far.</param>
/// <param name="Size">Bytes of the image; 0 when nothing is being copied.</param>
/// <param name="Complete">True once the whole image is in BMC storage (the image server is no longer needed).</param>
internal readonly record struct TransferProgress(long BytesCopied, long Size, bool Complete)
{
    /// <summary>A local image, which needs no copy: complete from the start.</summary>
    public static TransferProgress Local(long size) => new(size, size, true);
}
