using VirtualMedia.Nbd;

namespace VirtualMedia.Service.Slots;

/// <summary>What the slot must do after a state-machine event.</summary>
internal enum SlotAction
{
    /// <summary>Nothing more.</summary>
    None,

    /// <summary>Stop the activation in progress; it rolls back and then reports its end.</summary>
    CancelActivation,

    /// <summary>Remove the active media, then report <see cref="SlotStateMachine.Deactivated"/>.</summary>
    Deactivate,
}

/// <summary>The outcome of one state-machine event: a Completion to emit (or none) and an action.</summary>
internal readonly record struct SlotStep(Errno? Completion, SlotAction Action)
{
    /// <summary>Nothing to emit, nothing to do.</summary>
    public static SlotStep Nothing => default;
}
