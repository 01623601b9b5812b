namespace VirtualMedia.Service.Ejection;

/// <summary>
/// Where a slot reports what the operator did not ask for: an ejection by policy, inactivity or failure, and
/// every failure after Mount answered <c>true</c>. Never for the operator's own Unmount.
/// </summary>
internal interface ISlotEvents
{
    /// <summary>Records <paramref name="slotEvent"/>; returns at once, never blocks nor throws (the journal line is the caller's).</summary>
    void Report(SlotEvent slotEvent);
}
