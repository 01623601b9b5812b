namespace VirtualMedia.Gadget.ConfigFs;

/// <summary>What the host sees: a USB stick (a SCSI disk) or a CD-ROM drive.</summary>
public enum MediaType
{
    /// <summary>A removable disk, <c>cdrom=0</c>; what the original service presents.</summary>
    UsbStick,

    /// <summary>A CD-ROM, <c>cdrom=1</c>, always read-only.</summary>
    Cd,
}
