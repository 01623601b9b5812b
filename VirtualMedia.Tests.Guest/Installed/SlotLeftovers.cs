using VirtualMedia.Tests.Guest.Gadget;
using static VirtualMedia.Tests.Guest.Runner.Checks;

namespace VirtualMedia.Tests.Guest.Installed;

/// <summary>What an active slot holds in the kernel, and the check that none of it is left once it is ejected.</summary>
internal static class SlotLeftovers
{
    private const string Gadgets = "/sys/kernel/config/usb_gadget";

    /// <summary>The UDC the slot's gadget is bound to (<c>dummy_udc.N</c>).</summary>
    public static string Udc(string slot) => File.ReadAllText($"{Gadgets}/mass-storage-{slot}/UDC").Trim();

    /// <summary>
    /// Waits until the host's disk behind <paramref name="udc"/> is gone, then checks that the gadget, the
    /// NBD device's size, the NBD client and (for a legacy slot, whose socket the service owns) the socket are gone too.
    /// </summary>
    public static async Task CheckNoneLeftAsync(string slot, string nbd, string udc, bool legacy, CancellationToken cancellationToken)
    {
        foreach (var prefix in new[] { "sd", "sr" })
        {
            if (HostDisk.Find(udc, prefix) is { } disk)
            {
                await HostDisk.WaitGoneAsync(disk, cancellationToken);
            }
        }

        Check(!Directory.Exists($"{Gadgets}/mass-storage-{slot}"), $"the gadget of {slot} is left in configfs");
        Check(File.ReadAllText($"/sys/block/{nbd}/size").Trim() == "0", $"/dev/{nbd} still has a size");
        Check(NbdClients(nbd).Count == 0, $"an nbd-client for /dev/{nbd} is still running: {string.Join(", ", NbdClients(nbd))}");
        Check(!legacy || !File.Exists($"/run/virtual-media/{nbd}.sock"), $"the socket of {slot} is left");
        var mounts = File.ReadLines("/proc/mounts").Where(l => l.Split(' ')[1].StartsWith("/run/virtual-media/", StringComparison.Ordinal)).ToList();
        Check(mounts.Count == 0, $"mounts left under /run/virtual-media: {string.Join("; ", mounts)}");
    }

    /// <summary>Process ids whose command line names <c>/dev/<paramref name="nbd"/></c>.</summary>
    public static List<string> NbdClients(string nbd) =>
        Directory.EnumerateDirectories("/proc")
            .Where(d => int.TryParse(Path.GetFileName(d), out _))
            .Where(d => ReadCommandLine(d).Contains("/dev/" + nbd + "\0", StringComparison.Ordinal))
            .Select(Path.GetFileName)
            .OfType<string>()
            .ToList();

    private static string ReadCommandLine(string process)
    {
        try
        {
            return File.ReadAllText(Path.Combine(process, "cmdline")) + "\0";
        }
        catch (IOException)
        {
            return string.Empty; // the process ended while we looked
        }
    }
}
