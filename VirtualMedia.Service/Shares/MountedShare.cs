using VirtualMedia.Service.Urls;

namespace VirtualMedia.Service.Shares;

/// <summary>A share mounted for one slot, with the image file checked; disposing it unmounts the share and removes its directory.</summary>
internal sealed class MountedShare : IAsyncDisposable
{
    private readonly ShareMounter _owner;
    private int _released;

    internal MountedShare(ShareMounter owner, string slot, ShareUrl url, string mountPoint, string protocol, bool readWrite, long size)
    {
        _owner = owner;
        Slot = slot;
        Url = url;
        MountPoint = mountPoint;
        Protocol = protocol;
        ReadWrite = readWrite;
        Size = size;
    }

    /// <summary>The slot that owns the mount.</summary>
    public string Slot { get; }

    /// <summary>The image's URL (its <see cref="ShareUrl.Display"/> is safe to log).</summary>
    public ShareUrl Url { get; }

    /// <summary>Where the share is mounted.</summary>
    public string MountPoint { get; }

    /// <summary>Absolute path of the image file inside the mount: what the NBD export's file source opens.</summary>
    public string ImagePath => Path.Combine(MountPoint, Url.PathInMount);

    /// <summary>The protocol that worked, e.g. <c>SMB 3.1.1 sealed</c> or <c>NFSv4.2</c>.</summary>
    public string Protocol { get; }

    /// <summary>True when mounted read-write and the file opened for writing.</summary>
    public bool ReadWrite { get; }

    /// <summary>Size of the image in bytes when it was checked.</summary>
    public long Size { get; }

    /// <summary>True once the share has been released.</summary>
    public bool IsReleased => Volatile.Read(ref _released) != 0;

    /// <summary>Unmounts (lazily if still busy) and removes the mount directory; safe to call more than once.</summary>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return ValueTask.CompletedTask;
        }

        return new ValueTask(_owner.ReleaseAsync(this));
    }
}
