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
    Task<PreparedImage> OpenAsync(string slot, ImageUrl url, bool readWrite, MountSecret secret, CancellationToken cancellationToken);
}
