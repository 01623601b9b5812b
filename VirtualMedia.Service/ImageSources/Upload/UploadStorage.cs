using VirtualMedia.Nbd;

namespace VirtualMedia.Service.ImageSources.Upload;

/// <summary>Where Upload copies go: the image directory, of whose file system <paramref name="ReserveBytes"/> stay free.</summary>
/// <param name="Directory">The image directory (created 0700 when missing).</param>
/// <param name="ReserveBytes">Bytes a copy must leave free (<c>UploadReserveMiB</c>).</param>
internal sealed record UploadStorage(string Directory, long ReserveBytes)
{
    /// <summary>Checks there is room for <paramref name="remote"/>'s image, creates its copy and starts copying; on
    /// success the returned source owns <paramref name="remote"/>.</summary>
    /// <exception cref="ImageSourceException">ENOSPC when the image does not fit beside the reserve.</exception>
    public UploadSource Start(IImageSource remote, ISourceHealthObserver? observer, UploadLog log)
    {
        EnsureRoom(remote.Size);
        var file = UploadFile.Create(Directory, log.Slot, remote.Size);
        return UploadSource.Start(remote, file, observer, log);
    }

    private void EnsureRoom(long size)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("image copies are created with Linux file modes");
        }

        long free;
        try
        {
            System.IO.Directory.CreateDirectory(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            free = new DriveInfo(Directory).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageSourceException(UploadFile.ErrnoOf(e), $"the image directory {Directory} cannot hold a copy: {e.Message}", e);
        }

        if (free - ReserveBytes < size)
        {
            const double MiB = 1024 * 1024;
            throw new ImageSourceException(
                Errno.ENOSPC,
                $"no room to copy the image ({size / MiB:0.#} MiB) to {Directory}: {Math.Max(free, 0) / MiB:0.#} MiB free, "
                + $"of which UploadReserveMiB keeps {ReserveBytes / MiB:0} MiB");
        }
    }
}
