using VirtualMedia.Service.Configuration;
using VirtualMedia.Service.Credentials;
using VirtualMedia.Service.Urls;

namespace VirtualMedia.Service.Activation;

/// <summary>Opens the image of a legacy Mount: every check that can be made within a few seconds happens here.</summary>
internal interface IImageOpener
{
    /// <summary>
    /// Checks that the scheme is enabled, the server answers, TLS verifies, the credentials are accepted,
    /// Range works and the size is known, then returns the open image.
    /// </summary>
    /// <exception cref="VirtualMedia.Service.Errors.MediaException">A check failed; the errno and message go back to the caller.</exception>
    /// <remarks>With <see cref="TransferMethod.Upload"/> a web image's copy to BMC storage starts here (after a check
    /// that it fits: ENOSPC).</remarks>
    Task<PreparedImage> OpenAsync(
        string slot, ImageUrl url, bool readWrite, TransferMethod transfer, MountSecret secret, CancellationToken cancellationToken);
}
