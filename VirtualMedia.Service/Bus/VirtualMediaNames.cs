using VirtualMedia.Service.Configuration;

namespace VirtualMedia.Service.Bus;

/// <summary>The names bmcweb knows the service by (CONTRACT.md §1).</summary>
internal static class VirtualMediaNames
{
    /// <summary>The well-known bus name.</summary>
    public const string Service = "xyz.openbmc_project.VirtualMedia";

    /// <summary>The ObjectManager's path, under which every slot lives.</summary>
    public const string Root = "/xyz/openbmc_project/VirtualMedia";

    /// <summary>Properties of every slot.</summary>
    public const string MountPoint = Service + ".MountPoint";

    /// <summary>Active and ExitCode.</summary>
    public const string Process = Service + ".Process";

    /// <summary>ReadIO and WriteIO.</summary>
    public const string Stats = Service + ".Stats";

    /// <summary>Policy, EjectTimeout and RemainingEjectTimeout: when the media ejects itself.</summary>
    public const string EjectPolicy = Service + ".EjectPolicy";

    /// <summary>Method (writable), BytesCopied, Size and Complete: how a legacy slot's image is brought in.</summary>
    public const string Transfer = Service + ".Transfer";

    /// <summary>Mount/Unmount/Completion of a legacy slot.</summary>
    public const string Legacy = Service + ".Legacy";

    /// <summary>Mount/Unmount/Completion of a proxy slot.</summary>
    public const string Proxy = Service + ".Proxy";

    /// <summary><c>/xyz/openbmc_project/VirtualMedia/Proxy/Slot_0</c>: the mode is the second-to-last element.</summary>
    public static string PathOf(SlotConfiguration slot) => $"{Root}/{slot.Mode}/{slot.Name}";

    /// <summary>The Mount/Unmount interface of a slot's mode.</summary>
    public static string ModeInterface(SlotMode mode) => mode == SlotMode.Proxy ? Proxy : Legacy;
}
