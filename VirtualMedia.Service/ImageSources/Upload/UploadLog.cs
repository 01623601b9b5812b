using Microsoft.Extensions.Logging;

namespace VirtualMedia.Service.ImageSources.Upload;

/// <summary>The journal lines of one slot's copy: one when it starts, one when it completes (size and speed).
/// Failures are the slot's to log: they eject it.</summary>
/// <param name="Logger">Where the lines go.</param>
/// <param name="Slot">The slot, named in every line.</param>
/// <param name="Url">The image's URL without credentials.</param>
internal sealed record UploadLog(ILogger Logger, string Slot, string Url)
{
    private const double MiB = 1024 * 1024;

    public void Started(long size, string file) => Logger.LogInformation(
        "{Slot}: copying {Url} ({MiB:0.#} MiB) to {File} while the host reads it (TransferMethod Upload)",
        Slot, Url, size / MiB, file);

    public void Completed(long size, TimeSpan took) => Logger.LogInformation(
        "{Slot}: copy of {Url} complete: {MiB:0.#} MiB in {Seconds:0.#} s ({Rate:0.#} MB/s); the image server is no longer needed",
        Slot, Url, size / MiB, took.TotalSeconds, size / 1e6 / Math.Max(took.TotalSeconds, 0.001));
}
