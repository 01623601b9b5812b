namespace VirtualMedia.Tests.Guest.Installed;

/// <summary>The moment the host can read its new disk: the first block comes back.</summary>
internal static class HostReads
{
    /// <summary>Reads the first 4 KiB of <c>/dev/<paramref name="disk"/></c>, retrying while a CD reports no medium yet.</summary>
    public static async Task FirstBlockAsync(string disk, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        while (true)
        {
            try
            {
                await using var stream = new FileStream("/dev/" + disk, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
                await stream.ReadExactlyAsync(buffer, cancellationToken);
                return;
            }
            catch (IOException)
            {
                await Task.Delay(20, cancellationToken);
            }
        }
    }

    /// <summary>
    /// Reads one 4 KiB block at <paramref name="offset"/> past the page cache (dd iflag=direct), so that the request
    /// reaches the device; returns dd's error output, empty when the read succeeded.
    /// </summary>
    public static async Task<string> DirectReadErrorAsync(string disk, long offset, CancellationToken cancellationToken)
    {
        var info = new System.Diagnostics.ProcessStartInfo(
            "dd", [$"if=/dev/{disk}", "of=/dev/null", "bs=4096", "count=1", $"skip={offset}", "iflag=direct,skip_bytes"])
        {
            RedirectStandardError = true,
        };
        using var dd = System.Diagnostics.Process.Start(info)!;
        var error = await dd.StandardError.ReadToEndAsync(cancellationToken);
        await dd.WaitForExitAsync(cancellationToken);
        return dd.ExitCode == 0 ? string.Empty : error.Trim();
    }
}
