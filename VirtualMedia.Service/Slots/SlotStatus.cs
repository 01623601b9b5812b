using VirtualMedia.Service.ImageSources.Upload;

namespace VirtualMedia.Service.Slots;

/// <summary>The values of a slot's changing D-Bus properties at one moment.</summary>
internal sealed record SlotStatus(
    bool Active,
    int ExitCode,
    string ImageUrl,
    bool WriteProtected,
    ushort RemainingInactivityTimeout,
    ulong ReadIO,
    ulong WriteIO,
    ushort RemainingEjectTimeout = 0,
    TransferProgress Transfer = default)
{
    /// <summary>A slot with nothing inserted.</summary>
    public static SlotStatus Empty { get; } = new(false, 0, string.Empty, true, 0, 0, 0);
}
