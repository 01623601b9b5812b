using VirtualMedia.Gadget.Kernel;
using VirtualMedia.Nbd;

namespace VirtualMedia.Gadget.Sandbox;

/// <summary>
/// The sandbox's stand-in for configfs on plain directories: mkdir fills in the attributes the
/// kernel would create, rmdir takes them away again, and the kernel's refusals are imitated —
/// a UDC held by another gadget (EBUSY), <c>ro</c>/<c>cdrom</c> changed while <c>file</c> is set (EBUSY).
/// </summary>
public sealed class SandboxKernelFiles(KernelPaths paths) : IKernelFiles
{
    private static readonly string[] GadgetAttributes =
        ["UDC", "idVendor", "idProduct", "bcdDevice", "bcdUSB", "bDeviceClass", "bDeviceSubClass", "bDeviceProtocol", "bMaxPacketSize0"];

    private static readonly string[] GadgetChildren = ["strings", "configs", "functions", "os_desc"];

    private static readonly string[] LunAttributes = ["file", "ro", "cdrom", "removable", "nofua", "inquiry_string"];

    /// <inheritdoc />
    public void CreateDirectory(string path) => KernelFiles.Run(path, "mkdir", () =>
    {
        if (Directory.Exists(path))
        {
            throw new IOException("File exists", 17);
        }

        Directory.CreateDirectory(path);
        var parent = Path.GetDirectoryName(path)!;
        var parentName = Path.GetFileName(parent);
        if (PathsEqual(parent, paths.GadgetRoot))
        {
            Populate(path, GadgetAttributes, GadgetChildren);
        }
        else if (parentName == "strings")
        {
            Populate(path, IsConfig(parent) ? ["configuration"] : ["manufacturer", "product", "serialnumber"], []);
        }
        else if (parentName == "configs")
        {
            Populate(path, ["MaxPower", "bmAttributes"], ["strings"]);
        }
        else if (parentName == "functions" && Path.GetFileName(path).StartsWith("mass_storage.", StringComparison.Ordinal))
        {
            Populate(path, ["stall"], ["lun.0"]);
            Populate(Path.Combine(path, "lun.0"), LunAttributes, []);
        }
    });

    /// <inheritdoc />
    public void RemoveDirectory(string path) => KernelFiles.Run(path, "rmdir", () =>
    {
        // What the kernel made goes with the directory; anything the user made must already be gone.
        foreach (var child in Directory.EnumerateDirectories(path).Where(IsKernelMade))
        {
            RemoveKernelMade(child);
        }

        foreach (var file in Directory.EnumerateFiles(path).Where(f => !IsLink(f)))
        {
            File.Delete(file);
        }

        Directory.Delete(path, recursive: false);
    });

    /// <inheritdoc />
    public void WriteAttribute(string path, string value) => KernelFiles.Run(path, $"write '{value}' to", () =>
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException("No such file or directory", path);
        }

        var name = Path.GetFileName(path);
        var dir = Path.GetDirectoryName(path)!;
        if (name == "UDC" && value.Length > 0)
        {
            CheckUdcFree(path, value);
        }
        else if (name is "ro" or "cdrom" && File.ReadAllText(Path.Combine(dir, "file")).Trim().Length > 0)
        {
            throw new IOException("Device or resource busy", (int)Errno.EBUSY);
        }

        File.WriteAllText(path, value.Length > 0 ? value + "\n" : "\n");
    });

    /// <inheritdoc />
    public void CreateLink(string link, string target) =>
        KernelFiles.Run(link, "link", () => File.CreateSymbolicLink(link, target));

    /// <inheritdoc />
    public void RemoveLink(string link) => KernelFiles.Run(link, "unlink", () => File.Delete(link));

    private void CheckUdcFree(string attribute, string udc)
    {
        if (!Path.Exists(Path.Combine(paths.UdcClass, udc)) && !IsVhubPort(udc))
        {
            throw new IOException("No such device", (int)Errno.ENODEV);
        }

        var holders = Directory.EnumerateDirectories(paths.GadgetRoot)
            .Select(g => Path.Combine(g, "UDC"))
            .Select(f => (File: f, Bound: KernelFiles.ReadIfPresent(f)))
            .Where(f => f.Bound == udc || (PathsEqual(f.File, attribute) && f.Bound.Length > 0));
        if (holders.Any())
        {
            throw new IOException("Device or resource busy", (int)Errno.EBUSY);
        }
    }

    private bool IsVhubPort(string udc)
    {
        var colon = udc.LastIndexOf(':');
        return colon > 0 && Directory.Exists(Path.Combine(paths.PlatformDevices, udc[..colon], udc));
    }

    private static void Populate(string dir, string[] attributes, string[] children)
    {
        foreach (var attribute in attributes)
        {
            File.WriteAllText(Path.Combine(dir, attribute), attribute == "UDC" || attribute == "file" ? "\n" : "0\n");
        }

        foreach (var child in children)
        {
            Directory.CreateDirectory(Path.Combine(dir, child));
        }
    }

    private static bool IsKernelMade(string dir) =>
        Path.GetFileName(dir) is "strings" or "configs" or "functions" or "os_desc" or "lun.0";

    private static void RemoveKernelMade(string dir)
    {
        foreach (var file in Directory.EnumerateFiles(dir))
        {
            File.Delete(file);
        }

        Directory.Delete(dir, recursive: false);
    }

    private static bool IsConfig(string stringsDir) =>
        Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(stringsDir))) == "configs";

    private static bool IsLink(string path) => new FileInfo(path).LinkTarget is not null;

    private static bool PathsEqual(string a, string b) =>
        string.Equals(Path.GetFullPath(a).TrimEnd('/'), Path.GetFullPath(b).TrimEnd('/'), StringComparison.Ordinal);
}
