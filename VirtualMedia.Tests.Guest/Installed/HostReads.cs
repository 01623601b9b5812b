namespace VirtualMedia.Tests.Guest.Installed;

/// <summary>The host's own I/O on its new disk: the first block as soon as it reads, and single blocks past the page cache.</summary>
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
    public static Task<string> DirectReadErrorAsync(string disk, long offset, CancellationToken cancellationToken) =>
        DdErrorAsync([$"if=/dev/{disk}", "of=/dev/null", "bs=4096", "count=1", $"skip={offset}", "iflag=direct,skip_bytes"], null, cancellationToken);

    /// <summary>Writes <paramref name="data"/> at <paramref name="offset"/> past the page cache (dd oflag=direct,sync);
    /// returns dd's error output, empty when the write succeeded.</summary>
    public static Task<string> DirectWriteErrorAsync(string disk, long offset, byte[] data, CancellationToken cancellationToken) =>
        DdErrorAsync([$"of=/dev/{disk}", $"bs={data.Length}", "count=1", $"seek={offset}", "oflag=direct,sync,seek_bytes", "conv=notrunc"], data, cancellationToken);

    private static async Task<string> DdErrorAsync(string[] arguments, byte[]? input, CancellationToken cancellationToken)
    {
        var info = new System.Diagnostics.ProcessStartInfo("dd", arguments)
        {
            RedirectStandardError = true,
            RedirectStandardInput = input is not null,
        };
        using var dd = System.Diagnostics.Process.Start(info)!;
        if (input is not null)
        {
            await dd.StandardInput.BaseStream.WriteAsync(input, cancellationToken);
            dd.StandardInput.Close();
        }

        var error = await dd.StandardError.ReadToEndAsync(cancellationToken);
        await dd.WaitForExitAsync(cancellationToken);
        return dd.ExitCode == 0 ? string.Empty : error.Trim();
    }
}
