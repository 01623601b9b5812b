namespace VirtualMedia.Service.Shares;

/// <summary>The mount(2) flags (MS_*, values from linux/mount.h) a share mount uses: all of them take rights away.</summary>
[Flags]
internal enum MountRestrictions : ulong
{
    None = 0,
    ReadOnly = 1,
    NoSetUid = 2,
    NoDevices = 4,
    NoExecute = 8,

    /// <summary>MS_NOSYMFOLLOW (Linux 5.10): a symlink on the share cannot lead outside it.</summary>
    NoSymlinkFollow = 256,
}
