using VirtualMedia.Service.Credentials;
using VirtualMedia.Service.Urls;

namespace VirtualMedia.Service.Shares;

/// <summary>
/// The step that makes an <c>smb://</c> or <c>nfs://</c> image a local file: mounts the share
/// privately for the slot and yields the file inside it. Disposing the result always releases the mount.
/// </summary>
internal interface IShareMounter
{
    /// <summary>Mounts the share of <paramref name="url"/> for <paramref name="slot"/>.</summary>
    /// <exception cref="VirtualMedia.Service.Errors.MediaException">The share cannot be mounted: ENOTSUP without a kernel client for it, else mount(2)'s errno.</exception>
    Task<ShareMount> MountAsync(string slot, ImageUrl url, bool readWrite, MountSecret secret, CancellationToken cancellationToken);
}

/// <summary>A mounted share and the image file inside it; dispose to unmount.</summary>
/// <param name="ImageFile">The local path of the image.</param>
/// <param name="Release">Unmounts the share.</param>
internal sealed record ShareMount(string ImageFile, IAsyncDisposable Release);
