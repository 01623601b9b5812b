using System.Globalization;
using VirtualMedia.Gadget.Kernel;

namespace VirtualMedia.Gadget.Sandbox;

/// <summary>The sandbox's <c>sys/block/nbdX/{size,stat}</c>, kept as the kernel keeps them.</summary>
internal sealed class SandboxBlockDevice(KernelPaths paths, string device)
{
    private readonly Lock _lock = new();
    private ulong _reads;
    private ulong _readSectors;
    private ulong _writes;
    private ulong _writeSectors;

    /// <summary>Writes an empty device: size 0, all counters 0.</summary>
    public static void Reset(KernelPaths paths, string device)
    {
        var dir = paths.SysBlock(device);
        File.WriteAllText(Path.Combine(dir, "size"), "0\n");
        if (!File.Exists(Path.Combine(dir, "stat")))
        {
            new SandboxBlockDevice(paths, device).WriteStat();
        }
    }

    /// <summary>Sets the size the kernel would report, in 512-byte sectors.</summary>
    public void SetSize(long bytes) =>
        File.WriteAllText(Path.Combine(paths.SysBlock(device), "size"), (bytes / 512).ToString(CultureInfo.InvariantCulture) + "\n");

    /// <summary>Counts one completed read of <paramref name="bytes"/>.</summary>
    public void CountRead(int bytes)
    {
        lock (_lock)
        {
            _reads++;
            _readSectors += (ulong)bytes / 512;
            WriteStat();
        }
    }

    /// <summary>Counts one completed write of <paramref name="bytes"/>.</summary>
    public void CountWrite(int bytes)
    {
        lock (_lock)
        {
            _writes++;
            _writeSectors += (ulong)bytes / 512;
            WriteStat();
        }
    }

    /// <summary>Continues the counters already in the file (the kernel's only grow while the disk lives).</summary>
    public void LoadCounters()
    {
        var fields = File.ReadAllText(Path.Combine(paths.SysBlock(device), "stat"))
            .Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length >= 7)
        {
            _reads = ulong.Parse(fields[0], CultureInfo.InvariantCulture);
            _readSectors = ulong.Parse(fields[2], CultureInfo.InvariantCulture);
            _writes = ulong.Parse(fields[4], CultureInfo.InvariantCulture);
            _writeSectors = ulong.Parse(fields[6], CultureInfo.InvariantCulture);
        }
    }

    private void WriteStat()
    {
        // The 17 fields of Documentation/block/stat.rst; the sandbox keeps 1, 3, 5 and 7.
        var line = string.Create(
            CultureInfo.InvariantCulture,
            $"{_reads,8} {0,8} {_readSectors,8} {0,8} {_writes,8} {0,8} {_writeSectors,8} {0,8} {0,8} {0,8} {0,8} {0,8} {0,8} {0,8} {0,8} {0,8} {0,8}\n");
        File.WriteAllText(Path.Combine(paths.SysBlock(device), "stat"), line);
    }
}
