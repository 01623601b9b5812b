namespace VirtualMedia.Tests.ResourceBounds;

/// <summary>What a process holds right now, from /proc: open fds, resident and peak resident memory.</summary>
internal static class ProcessResources
{
    public const long MiB = 1024 * 1024;

    public static int OpenFds(int pid) => Directory.GetFiles($"/proc/{pid}/fd").Length;

    /// <summary>Resident set size (VmRSS), bytes.</summary>
    public static long Resident(int pid) => StatusKiB(pid, "VmRSS") * 1024;

    /// <summary>Peak resident set size since the process started (VmHWM), bytes.</summary>
    public static long PeakResident(int pid) => StatusKiB(pid, "VmHWM") * 1024;

    /// <summary>Bytes as MiB with one decimal, for test output.</summary>
    public static string InMiB(long bytes) => (bytes / (double)MiB).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);

    private static long StatusKiB(int pid, string field)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(field.Length + 1).Trim().TrimEnd("kB").Trim(), System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"/proc/{pid}/status has no {field}");
    }
}
