using System.Security.Cryptography;

namespace VirtualMedia.Tests.Guest.Gadget;

/// <summary>
/// The host side of dummy_hcd: a gadget bound to <c>dummy_udc.N</c> enumerates under
/// <c>/sys/devices/platform/dummy_hcd.N/</c> as a SCSI disk (<c>sdX</c>) or CD-ROM (<c>srX</c>).
/// </summary>
internal static class HostDisk
{
    /// <summary>Waits until the disk of the gadget on <paramref name="udc"/> appears; returns its name (<c>sda</c>).</summary>
    public static async Task<string> WaitForAsync(string udc, string prefix, CancellationToken cancellationToken)
    {
        while (true)
        {
            var name = Find(udc, prefix);
            if (name is not null && (prefix == "sr" || ReadSize(name) > 0) && File.Exists("/dev/" + name))
            {
                return name;
            }

            await Task.Delay(20, cancellationToken);
        }
    }

    /// <summary>The disk with <paramref name="prefix"/> enumerated behind <paramref name="udc"/>, or null.</summary>
    public static string? Find(string udc, string prefix)
    {
        var hcd = "/" + udc.Replace("dummy_udc", "dummy_hcd", StringComparison.Ordinal) + "/";
        return Directory.EnumerateFileSystemEntries("/sys/block", prefix + "*")
            .Where(entry => new DirectoryInfo(entry).LinkTarget?.Contains(hcd, StringComparison.Ordinal) == true)
            .Select(Path.GetFileName)
            .FirstOrDefault();
    }

    /// <summary>Waits until <paramref name="name"/> is gone from /sys/block.</summary>
    public static async Task WaitGoneAsync(string name, CancellationToken cancellationToken)
    {
        while (Directory.Exists("/sys/block/" + name))
        {
            await Task.Delay(10, cancellationToken);
        }
    }

    /// <summary>Size in bytes the host sees.</summary>
    public static long ReadSize(string name) =>
        long.TryParse(File.ReadAllText($"/sys/block/{name}/size").Trim(), out var sectors) ? sectors * 512 : 0;

    /// <summary>Reads the whole device; retries while a CD is still becoming ready. Returns size and sha256.</summary>
    public static async Task<(long Size, string Sha256)> ReadAllAsync(string name, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return await Sha256Async("/dev/" + name, cancellationToken);
            }
            catch (IOException) when (name.StartsWith("sr", StringComparison.Ordinal))
            {
                // "No medium found" until the CD's first TEST UNIT READY succeeds.
                await Task.Delay(50, cancellationToken);
            }
        }
    }

    /// <summary>Size and sha256 of a file or device.</summary>
    public static async Task<(long Size, string Sha256)> Sha256Async(string path, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        long total = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            total += read;
        }

        return (total, Convert.ToHexString(hash.GetHashAndReset()));
    }
}
