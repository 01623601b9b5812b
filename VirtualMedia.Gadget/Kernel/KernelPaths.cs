namespace VirtualMedia.Gadget.Kernel;

/// <summary>Where the kernel's interfaces live: <c>/</c> on a BMC and in the kernel VM, a directory in the sandbox.</summary>
/// <param name="Root">The directory that holds <c>sys/</c> and <c>dev/</c>.</param>
/// <param name="NbdClient">The nbd-client program (not under <paramref name="Root"/>: it is a host program).</param>
public sealed record KernelPaths(string Root, string NbdClient)
{
    /// <summary>The machine's own kernel, with Debian's and OpenBMC's nbd-client.</summary>
    public static KernelPaths Host { get; } = new("/", "/usr/sbin/nbd-client");

    /// <summary>The configfs directory holding USB gadgets.</summary>
    public string GadgetRoot => Under("sys/kernel/config/usb_gadget");

    /// <summary>The class directory listing every USB device controller.</summary>
    public string UdcClass => Under("sys/class/udc");

    /// <summary>Platform devices, where the ASPEED virtual hub and its ports live.</summary>
    public string PlatformDevices => Under("sys/bus/platform/devices");

    /// <summary>The sysfs directory of a block device (<c>nbd0</c>).</summary>
    public string SysBlock(string device) => Path.Combine(Under("sys/block"), device);

    /// <summary>The device node of a block device (<c>/dev/nbd0</c>).</summary>
    public string DeviceNode(string device) => Path.Combine(Under("dev"), device);

    private string Under(string relative) => Path.Combine(Root, relative);
}
