using Microsoft.Extensions.Logging;
using VirtualMedia.Gadget.BlockDevice;
using VirtualMedia.Nbd;
using VirtualMedia.Service.Errors;
using VirtualMedia.Service.ImageSources.Upload;

namespace VirtualMedia.Service.Activation;

/// <summary>
/// Everything one slot has set up to serve its media, in the order it was built; disposing tears it
/// down in reverse (gadget, block device, NBD export, image) and never throws.
/// </summary>
internal sealed class SlotMedia : IAsyncDisposable
{
    private readonly string _slot;
    private readonly ILogger _logger;

    internal SlotMedia(string slot, ILogger logger)
    {
        _slot = slot;
        _logger = logger;
    }

    /// <summary>The first teardown step that failed, as an errno; <see cref="Errno.None"/> when all went well.</summary>
    public Errno TeardownErrno { get; private set; }

    /// <summary>Exit code of the NBD client once teardown detached it; null before.</summary>
    public int? ClientExitCode { get; private set; }

    /// <summary>Completes with the NBD client's exit code when it ends (the media is gone).</summary>
    public Task<int> ClientExited => Device?.Exited ?? Task.FromResult(0);

    /// <summary>Completes with the error once the image's source has been given up; null when nothing watches it
    /// (files, shares, proxy slots).</summary>
    public Task<ImageSourceException>? SourceFailed => Image?.Watch?.Failed;

    /// <summary>How far the image's copy to BMC storage has come; all zero when it streams.</summary>
    public TransferProgress Transfer => Image?.Transfer?.Invoke() ?? default;

    internal PreparedImage? Image { get; set; }

    internal NbdUnixListener? Export { get; set; }

    internal NbdBlockDevice? Device { get; set; }

    internal Func<Task>? RemoveGadget { get; set; }

    /// <summary>Reads and writes the host made since the media was inserted.</summary>
    public BlockDeviceStatistics ReadStatistics() => Device?.ReadStatistics() ?? default;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (RemoveGadget is { } removeGadget)
        {
            await StepAsync("remove the USB gadget", removeGadget);
            RemoveGadget = null;
        }

        if (Device is { } device)
        {
            await StepAsync("detach the NBD device", () => device.DetachAsync(CancellationToken.None));
            ClientExitCode = device.ExitCode;
            Device = null;
        }

        if (Export is { } export)
        {
            await StepAsync("stop the NBD export", () => export.DisposeAsync().AsTask());
            Export = null;
        }

        if (Image is { } image)
        {
            await StepAsync("close the image", () => image.DisposeAsync().AsTask());
            Image = null;
        }
    }

    private async Task StepAsync(string what, Func<Task> step)
    {
        try
        {
            await step();
        }
        catch (Exception e)
        {
            _logger.LogError("{Slot}: could not {What}: {Reason}", _slot, what, e.Message);
            if (TeardownErrno == Errno.None)
            {
                TeardownErrno = Failures.ErrnoOf(e);
            }
        }
    }
}
