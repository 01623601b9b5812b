using System.Runtime.InteropServices;
using VirtualMedia.Nbd;

namespace VirtualMedia.Service.Shares;

/// <summary>mount(2) and umount2(2) through libc, and the mount table from /proc/self/mountinfo.</summary>
/// <remarks>Called directly rather than through the <c>mount</c> program so that no credential ever reaches a command line.</remarks>
internal sealed partial class KernelMountSystem : IMountSystem
{
    private const int MntDetach = 2;
    private const int UmountNoFollow = 8;

    /// <inheritdoc />
    public Errno Mount(string source, string target, string fileSystemType, MountRestrictions flags, MountData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return (Errno)data.WithPointer(pointer =>
            MountNative(source, target, fileSystemType, (nuint)flags, pointer) == 0 ? 0 : Marshal.GetLastPInvokeError());
    }

    /// <inheritdoc />
    public Errno Unmount(string target, bool detach) =>
        Umount2Native(target, UmountNoFollow | (detach ? MntDetach : 0)) == 0 ? Errno.None : (Errno)Marshal.GetLastPInvokeError();

    /// <inheritdoc />
    public IReadOnlyList<string> MountPoints() => MountInfo.ParseMountPoints(File.ReadAllText("/proc/self/mountinfo"));

    [LibraryImport("libc", EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MountNative(string source, string target, string fileSystemType, nuint flags, nint data);

    [LibraryImport("libc", EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Umount2Native(string target, int flags);
}
