using VirtualMedia.Nbd;

namespace VirtualMedia.Service.Slots;

/// <summary>Where a slot publishes what changed: its D-Bus object. Never throws: a change it cannot send is its to log.</summary>
internal interface ISlotPublisher
{
    /// <summary>Announces every property that differs between <paramref name="before"/> and <paramref name="after"/>.</summary>
    ValueTask PropertiesChangedAsync(SlotStatus before, SlotStatus after);

    /// <summary>Emits the Completion signal of an accepted request.</summary>
    ValueTask CompletionAsync(Errno result);
}
