namespace VirtualMedia.Service.Slots;

/// <summary>Where a slot is in its life: Ready → Activating → Active → Deactivating → Ready.</summary>
internal enum SlotState
{
    /// <summary>No media; Mount is accepted.</summary>
    Ready,

    /// <summary>A Mount is being checked or set up.</summary>
    Activating,

    /// <summary>Media is inserted.</summary>
    Active,

    /// <summary>Media is being removed (Unmount, inactivity, client exit, shutdown, or a timed-out activation).</summary>
    Deactivating,
}
