using VirtualMedia.DBus;
using VirtualMedia.Service.Bus;

namespace VirtualMedia.Service.Activation;

/// <summary>Refuses <c>smb://</c> and <c>nfs://</c> with ENOTSUP: network shares are not supported by this build.</summary>
public sealed class UnsupportedShares : IShareMounter
{
    /// <inheritdoc />
    public Task<ShareMount> MountAsync(string slot, ImageUrl url, bool readWrite, MountSecret secret, CancellationToken cancellationToken) =>
        throw new DBusErrnoException(
            Errno.ENOTSUP, $"{url.ForLog}: {url.Uri.Scheme}:// images are not supported yet; use https://");
}
