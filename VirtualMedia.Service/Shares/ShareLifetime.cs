using Microsoft.Extensions.Hosting;

namespace VirtualMedia.Service.Shares;

/// <summary>
/// Releases share mounts around the service's life: at start whatever a previous run left under the
/// runtime directory, at stop whatever the slots' own teardown did not release.
/// </summary>
/// <remarks>Registered before the service so that it starts first and stops last (hosted services stop in reverse order).</remarks>
internal sealed class ShareLifetime : IHostedService
{
    private readonly ShareMounter _mounter;

    public ShareLifetime(ShareMounter mounter)
    {
        _mounter = mounter;
    }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) => Task.Run(_mounter.RemoveLeftovers, cancellationToken);

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => _mounter.ReleaseAllAsync();
}
