using System.Security.Cryptography;
using VirtualMedia.Service.Credentials;
using VirtualMedia.Service.Urls;

namespace VirtualMedia.Service.Shares;

/// <summary>The legacy activation's share step (<see cref="IShareMounter"/>): <see cref="ShareMounter"/> on this machine's kernel.</summary>
/// <remarks>
/// Errors are <see cref="VirtualMedia.Service.Errors.MediaException"/>s naming the URL without credentials; a kernel without
/// the CIFS or NFS client (the sandbox) gets ENOTSUP saying so.
/// </remarks>
internal sealed class KernelShares : IShareMounter
{
    private readonly ShareMounter _mounter;

    public KernelShares(ShareMounter mounter)
    {
        _mounter = mounter;
    }

    /// <inheritdoc />
    public async Task<ShareMount> MountAsync(string slot, ImageUrl url, bool readWrite, MountSecret secret, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(secret);
        var shareUrl = url.Share;

        // The secret's own buffer cannot cross an await; this copy is pinned and wiped like it.
        var password = GC.AllocateArray<byte>(secret.Password.Length, pinned: true);
        secret.Password.CopyTo(password);
        try
        {
            var share = await _mounter.MountAsync(slot, shareUrl, new ShareCredentials(secret.User, password), readWrite, cancellationToken);
            return new ShareMount(share.ImagePath, share);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(password);
        }
    }
}
