using VirtualMedia.Nbd;

namespace VirtualMedia.Service.Shares;

/// <summary>The kernel's mount table and mount calls: <see cref="KernelMountSystem"/> for real, a fake only in tests of the clean-up logic.</summary>
internal interface IMountSystem
{
    /// <summary>mount(2); returns <see cref="Errno.None"/> or the errno.</summary>
    Errno Mount(string source, string target, string fileSystemType, MountRestrictions flags, MountData data);

    /// <summary>umount2(2) of <paramref name="target"/>, never following a symlink; returns <see cref="Errno.None"/> or the errno.</summary>
    Errno Unmount(string target, bool detach);

    /// <summary>Mount points currently in this process's mount namespace, as absolute paths.</summary>
    IReadOnlyList<string> MountPoints();
}
