namespace VirtualMedia.Gadget.ConfigFs;

/// <summary>The mass-storage gadget one slot needs.</summary>
/// <param name="Slot">The slot name from the configuration (<c>Slot_0</c>); names the gadget directory.</param>
/// <param name="BackingFile">The block device the LUN serves (<c>/dev/nbd0</c>).</param>
/// <param name="Media">USB stick or CD.</param>
/// <param name="WriteProtected">True to refuse the host's writes; CDs are always read-only.</param>
public sealed record GadgetSpec(string Slot, string BackingFile, MediaType Media, bool WriteProtected)
{
    /// <summary>True when the LUN is read-only (write-protected media, or any CD).</summary>
    public bool ReadOnly => WriteProtected || Media == MediaType.Cd;
}
