using System.Text;

namespace VirtualMedia.Service.Shares;

/// <summary>Reads the mount points out of /proc/self/mountinfo text (octal escapes such as <c>\040</c> decoded).</summary>
internal static class MountInfo
{
    /// <summary>The mount point (fifth field) of every line, in table order.</summary>
    public static IReadOnlyList<string> ParseMountPoints(string mountInfo)
    {
        ArgumentNullException.ThrowIfNull(mountInfo);
        var points = new List<string>();
        foreach (var line in mountInfo.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split(' ');
            if (fields.Length > 4)
            {
                points.Add(Unescape(fields[4]));
            }
        }

        return points;
    }

    /// <summary>Undoes the kernel's <c>\ooo</c> escaping of space, tab, newline and backslash.</summary>
    public static string Unescape(string field)
    {
        ArgumentNullException.ThrowIfNull(field);
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }

        var bytes = new List<byte>(field.Length);
        var raw = Encoding.UTF8.GetBytes(field);
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] == (byte)'\\' && IsOctal(raw, i + 1))
            {
                bytes.Add((byte)(((raw[i + 1] - '0') << 6) | ((raw[i + 2] - '0') << 3) | (raw[i + 3] - '0')));
                i += 3;
            }
            else
            {
                bytes.Add(raw[i]);
            }
        }

        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static bool IsOctal(byte[] raw, int start) =>
        start + 3 <= raw.Length && raw.AsSpan(start, 3).IndexOfAnyExceptInRange((byte)'0', (byte)'7') < 0;
}
