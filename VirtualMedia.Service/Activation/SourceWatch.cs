using Microsoft.Extensions.Logging;
using VirtualMedia.Nbd;
using VirtualMedia.Service.ImageSources;

namespace VirtualMedia.Service.Activation;

/// <summary>
/// Watches one mounted web image's link for its slot: says once when it starts failing and once when it recovers,
/// and completes <see cref="Failed"/> when the outage outlasted its budget, which ejects the slot.
/// </summary>
internal sealed class SourceWatch : ISourceHealthObserver
{
    private readonly string _slot;
    private readonly TimeSpan _budget;
    private readonly ILogger _logger;
    private readonly TaskCompletionSource<ImageSourceException> _failed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Creates the watch of <paramref name="slot"/>'s image, whose outages may last <paramref name="budget"/>.</summary>
    public SourceWatch(string slot, TimeSpan budget, ILogger logger)
    {
        _slot = slot;
        _budget = budget;
        _logger = logger;
    }

    /// <summary>Completes with the error every read now gets, once the source has been given up.</summary>
    public Task<ImageSourceException> Failed => _failed.Task;

    /// <inheritdoc />
    public void OutageBegan(string reason) =>
        _logger.LogWarning(
            "{Slot}: the image server is failing ({Reason}): the host's reads wait while it is retried for up to {Seconds} s",
            _slot, reason, _budget.TotalSeconds);

    /// <inheritdoc />
    public void OutageEnded(TimeSpan lasted) =>
        _logger.LogInformation("{Slot}: the image server answers again, after {Seconds:0.#} s", _slot, lasted.TotalSeconds);

    /// <inheritdoc />
    public void SourceFailed(ImageSourceException failure) => _failed.TrySetResult(failure);
}
