using System.Globalization;
using VirtualMedia.Gadget.Kernel;

namespace VirtualMedia.Gadget.Sandbox;

/// <summary>
/// The sandboxed kernel side, for machines without configfs, USB gadgets or <c>/dev/nbdX</c>:
/// a directory laid out like the kernel's (<c>sys/kernel/config/usb_gadget</c>, two fake UDCs in
/// <c>sys/class/udc</c>, <c>sys/block/nbdX/{size,stat}</c>, <c>dev/</c>) driven by stand-ins.
/// </summary>
public static class SandboxKernel
{
    /// <summary>The fake UDCs are <c>sandbox_udc.0</c> and <c>sandbox_udc.1</c>.</summary>
    public const string UdcPrefix = "sandbox_udc.";

    /// <summary>How many NBD devices the sandbox offers (the kernel's nbd module default).</summary>
    public const int NbdDevices = 16;

    /// <summary>Lays out (or reuses) the sandbox under <paramref name="root"/> and returns its kernel side.</summary>
    public static KernelSide Create(string root)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("the sandbox kernel side needs a Unix file system");
        }

        var paths = new KernelPaths(Path.GetFullPath(root), "(sandbox nbd-client)");
        Directory.CreateDirectory(paths.GadgetRoot);
        // The re-exported devices' sockets live in dev/, which the NBD listener wants private.
        Directory.CreateDirectory(paths.DeviceNode(""), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        for (var i = 0; i < 2; i++)
        {
            Directory.CreateDirectory(Path.Combine(paths.UdcClass, UdcPrefix + i.ToString(CultureInfo.InvariantCulture)));
        }

        for (var i = 0; i < NbdDevices; i++)
        {
            var device = "nbd" + i.ToString(CultureInfo.InvariantCulture);
            Directory.CreateDirectory(paths.SysBlock(device));
            SandboxBlockDevice.Reset(paths, device);
        }

        return new KernelSide(paths, new SandboxKernelFiles(paths), new SandboxNbdClientLauncher(paths));
    }
}
