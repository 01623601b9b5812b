using System.Globalization;

namespace VirtualMedia.Gadget.BlockDevice;

/// <summary>Completed read and write I/Os of a block device (fields 1 and 5 of <c>/sys/block/X/stat</c>).</summary>
public readonly record struct BlockDeviceStatistics(ulong ReadIO, ulong WriteIO)
{
    /// <summary>Parses the content of a <c>stat</c> file; an empty or short file counts as zero.</summary>
    public static BlockDeviceStatistics Parse(string stat)
    {
        var fields = stat.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        return fields.Length >= 5
            ? new(ulong.Parse(fields[0], CultureInfo.InvariantCulture), ulong.Parse(fields[4], CultureInfo.InvariantCulture))
            : default;
    }

    /// <summary>The I/Os done since <paramref name="start"/> (the kernel's counters only grow while the disk lives).</summary>
    public BlockDeviceStatistics Since(BlockDeviceStatistics start) =>
        new(ReadIO >= start.ReadIO ? ReadIO - start.ReadIO : ReadIO, WriteIO >= start.WriteIO ? WriteIO - start.WriteIO : WriteIO);
}
