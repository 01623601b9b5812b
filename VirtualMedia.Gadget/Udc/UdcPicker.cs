using VirtualMedia.Gadget.Kernel;
using VirtualMedia.Nbd;

namespace VirtualMedia.Gadget.Udc;

/// <summary>
/// Chooses the USB device controller for a new gadget: on ASPEED a free port of the virtual hub
/// (<c>1e6a0000.usb-vhub:pN</c>), elsewhere (NPCM, dummy_hcd) a free entry of <c>/sys/class/udc</c>.
/// </summary>
/// <remarks>
/// A UDC is in use when any gadget's <c>UDC</c> file names it, or when its gadget device has a
/// driver bound (<c>gadget/driver</c> on older kernels, <c>gadget.N/driver</c> on newer ones) —
/// the second catches gadgets made by someone else than configfs.
/// </remarks>
public sealed class UdcPicker(KernelPaths paths)
{
    private const string VhubSuffix = ".usb-vhub";

    /// <summary>Every UDC a gadget of ours may use, in order of preference.</summary>
    public IReadOnlyList<string> Candidates() => Candidates(FindVhub());

    /// <summary>The UDCs that a gadget is bound to now.</summary>
    public IReadOnlySet<string> InUse()
    {
        var vhub = FindVhub();
        return InUse(vhub, Candidates(vhub));
    }

    /// <summary>The first free UDC, skipping <paramref name="exclude"/>.</summary>
    /// <exception cref="KernelException">EBUSY when every UDC is taken, ENODEV when there is none.</exception>
    public string Pick(IReadOnlyCollection<string>? exclude = null)
    {
        // The candidates and their in-use check must describe the same hub: find it once for both.
        var vhub = FindVhub();
        var candidates = Candidates(vhub);
        if (candidates.Count == 0)
        {
            throw new KernelException(
                $"no USB device controller: neither a virtual hub under {paths.PlatformDevices} nor entries in {paths.UdcClass}",
                Errno.ENODEV);
        }

        var used = InUse(vhub, candidates);
        return candidates.FirstOrDefault(c => !used.Contains(c) && exclude?.Contains(c) != true)
            ?? throw new KernelException(
                $"every USB device controller is in use ({string.Join(", ", candidates)}): eject another medium first",
                Errno.EBUSY);
    }

    private List<string> Candidates(string? vhub)
    {
        if (vhub is not null)
        {
            return Directory.EnumerateDirectories(vhub, Path.GetFileName(vhub) + ":p*")
                .Select(port => (Port: port, Number: PortNumber(port)))
                .Where(p => p.Number > 0)
                .OrderBy(p => p.Number)
                .Select(p => Path.GetFileName(p.Port))
                .ToList();
        }

        return Directory.Exists(paths.UdcClass)
            ? Directory.EnumerateFileSystemEntries(paths.UdcClass)
                .Select(entry => Path.GetFileName(entry))
                .Order(StringComparer.Ordinal)
                .ToList()
            : [];
    }

    private HashSet<string> InUse(string? vhub, List<string> candidates)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        if (Directory.Exists(paths.GadgetRoot))
        {
            foreach (var gadget in Directory.EnumerateDirectories(paths.GadgetRoot))
            {
                var name = KernelFiles.ReadIfPresent(Path.Combine(gadget, "UDC"));
                if (name.Length > 0)
                {
                    used.Add(name);
                }
            }
        }

        foreach (var candidate in candidates)
        {
            if (HasBoundGadget(DeviceDirectory(vhub, candidate)))
            {
                used.Add(candidate);
            }
        }

        return used;
    }

    private string? FindVhub() =>
        Directory.Exists(paths.PlatformDevices)
            ? Directory.EnumerateFileSystemEntries(paths.PlatformDevices, "*" + VhubSuffix)
                .Order(StringComparer.Ordinal)
                .FirstOrDefault()
            : null;

    private string DeviceDirectory(string? vhub, string udc) =>
        vhub is not null ? Path.Combine(vhub, udc) : Path.Combine(paths.UdcClass, udc, "device");

    private static bool HasBoundGadget(string device) =>
        Directory.Exists(device)
        && Directory.EnumerateDirectories(device, "gadget*")
            .Where(child => Path.GetFileName(child) is var name && (name == "gadget" || name.StartsWith("gadget.", StringComparison.Ordinal)))
            .Any(child => Path.Exists(Path.Combine(child, "driver")));

    private static int PortNumber(string port)
    {
        var name = Path.GetFileName(port);
        var index = name.LastIndexOf(":p", StringComparison.Ordinal);
        return index >= 0 && int.TryParse(name.AsSpan(index + 2), out var number) ? number : 0;
    }
}
