namespace VirtualMedia.Service.Configuration;

/// <summary>What the host sees on the USB bus for a slot.</summary>
public enum MediaType
{
    /// <summary>A removable USB disk (what the original service presents).</summary>
    USBStick,

    /// <summary>A CD-ROM drive, always read-only.</summary>
    CD,
}
