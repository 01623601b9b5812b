using VirtualMedia.Nbd;
using VirtualMedia.Service.Errors;

namespace VirtualMedia.Service.Slots;

/// <summary>
/// The rules of one slot, without any I/O: which requests are accepted in which state, when a
/// Completion is owed (exactly one per accepted request), the Timeout + 5 s deadline, and the
/// inactivity countdown. Not thread-safe: the slot feeds it one event at a time.
/// </summary>
internal sealed class SlotStateMachine
{
    private readonly string _slot;
    private readonly uint _inactivityTimeoutSeconds;
    private readonly TimeSpan _completionTimeout;
    private readonly TimeProvider _clock;
    private bool _completionOwed;
    private long _deadline;
    private long _lastActivity;
    private Errno _failure;

    /// <param name="slot">The slot's name, for messages.</param>
    /// <param name="inactivityTimeoutSeconds">Idle seconds before an active slot is ejected; 0 never.</param>
    /// <param name="completionTimeout">How long an accepted request may take before it completes with EBUSY.</param>
    /// <param name="clock">Time source (a fake one in tests).</param>
    public SlotStateMachine(string slot, uint inactivityTimeoutSeconds, TimeSpan completionTimeout, TimeProvider clock)
    {
        _slot = slot;
        _inactivityTimeoutSeconds = inactivityTimeoutSeconds;
        _completionTimeout = completionTimeout;
        _clock = clock;
    }

    /// <summary>The current state.</summary>
    public SlotState State { get; private set; }

    /// <summary>The current property values.</summary>
    public SlotStatus Status { get; private set; } = SlotStatus.Empty;

    /// <summary>Starts checking a Mount, or refuses it by state (EPERM when active, EBUSY when busy).</summary>
    public void BeginMount()
    {
        switch (State)
        {
            case SlotState.Ready:
                State = SlotState.Activating;
                Status = SlotStatus.Empty with { ExitCode = -1 };
                return;
            case SlotState.Active:
                throw new MediaException(Errno.EPERM, $"{_slot} already has media inserted; unmount it first");
            default:
                throw new MediaException(Errno.EBUSY, $"{_slot} is busy {Busy()}; try again when it is done");
        }
    }

    /// <summary>The checks of a Mount failed: back to Ready, the caller got a D-Bus error, no Completion.</summary>
    public void RejectMount()
    {
        Expect(SlotState.Activating);
        State = SlotState.Ready;
        Status = SlotStatus.Empty;
    }

    /// <summary>The Mount is accepted (its D-Bus call returns true): a Completion is now owed.</summary>
    public void AcceptMount(string imageUrl, bool writeProtected)
    {
        Expect(SlotState.Activating);
        Status = Status with { ImageUrl = imageUrl, WriteProtected = writeProtected };
        Owe();
    }

    /// <summary>The activation ended. On success the slot is Active; on failure it has rolled back and is Ready.</summary>
    /// <param name="errno"><see cref="Errno.None"/> on success, else the errno of the failure.</param>
    public SlotStep ActivationEnded(Errno errno)
    {
        if (State == SlotState.Deactivating)
        {
            // The deadline passed first and EBUSY was sent: a late success must still be undone.
            return errno == Errno.None ? new SlotStep(null, SlotAction.Deactivate) : Deactivated(Errno.None);
        }

        Expect(SlotState.Activating);
        if (errno != Errno.None)
        {
            State = SlotState.Ready;
            Status = SlotStatus.Empty with { ExitCode = Status.ExitCode };
            return new SlotStep(Settle(errno), SlotAction.None);
        }

        State = SlotState.Active;
        _lastActivity = _clock.GetTimestamp();
        Status = Status with { Active = true, RemainingInactivityTimeout = Clamp(_inactivityTimeoutSeconds) };
        return new SlotStep(Settle(Errno.None), SlotAction.None);
    }

    /// <summary>Starts an Unmount, or refuses it by state (EPERM when nothing is inserted, EBUSY when busy).</summary>
    public SlotStep BeginUnmount()
    {
        switch (State)
        {
            case SlotState.Active:
                StartDeactivating();
                Owe();
                return new SlotStep(null, SlotAction.Deactivate);
            case SlotState.Ready:
                throw new MediaException(Errno.EPERM, $"{_slot} has no media inserted: nothing to unmount");
            default:
                throw new MediaException(Errno.EBUSY, $"{_slot} is busy {Busy()}; try again when it is done");
        }
    }

    /// <summary>Removes active media without a request (inactivity, client exit, shutdown); no Completion.</summary>
    public SlotStep Eject()
    {
        if (State != SlotState.Active)
        {
            return SlotStep.Nothing;
        }

        StartDeactivating();
        return new SlotStep(null, SlotAction.Deactivate);
    }

    /// <summary>The media is removed; the slot is Ready again.</summary>
    /// <param name="errno"><see cref="Errno.None"/>, or the errno of a teardown step that failed.</param>
    /// <param name="exitCode">The NBD client's exit code, when one ran.</param>
    public SlotStep Deactivated(Errno errno, int? exitCode = null)
    {
        Expect(SlotState.Deactivating);
        State = SlotState.Ready;
        Status = SlotStatus.Empty with { ExitCode = exitCode ?? Status.ExitCode };
        var failure = _failure;
        _failure = Errno.None;
        return new SlotStep(Settle(failure != Errno.None ? failure : errno), SlotAction.None);
    }

    /// <summary>
    /// The active media's source failed for good (its server stayed unreachable past the outage budget): the media is
    /// removed and, as nobody else will hear of it, a Completion with <paramref name="errno"/> is owed for its end.
    /// </summary>
    public SlotStep SourceFailed(Errno errno)
    {
        var step = Eject();
        if (step.Action == SlotAction.Deactivate)
        {
            _failure = errno;
            Owe();
        }

        return step;
    }

    /// <summary>The NBD client or server process of the slot exited with <paramref name="exitCode"/>.</summary>
    public SlotStep ProcessExited(int exitCode)
    {
        Status = Status with { ExitCode = exitCode };
        return Eject();
    }

    /// <summary>
    /// Called about once a second: enforces the completion deadline, takes the I/O counters (when
    /// active) and counts the inactivity timeout down, ejecting an idle slot.
    /// </summary>
    public SlotStep Tick(ulong readIO, ulong writeIO)
    {
        var now = _clock.GetTimestamp();
        if (_completionOwed && now >= _deadline)
        {
            var action = State == SlotState.Activating ? SlotAction.CancelActivation : SlotAction.None;
            if (State == SlotState.Activating)
            {
                State = SlotState.Deactivating;
            }

            return new SlotStep(Settle(Errno.EBUSY), action);
        }

        if (State != SlotState.Active)
        {
            return SlotStep.Nothing;
        }

        if (readIO != Status.ReadIO || writeIO != Status.WriteIO)
        {
            _lastActivity = now;
        }

        Status = Status with { ReadIO = readIO, WriteIO = writeIO };
        if (_inactivityTimeoutSeconds == 0)
        {
            return SlotStep.Nothing;
        }

        var idleSeconds = (long)_clock.GetElapsedTime(_lastActivity, now).TotalSeconds;
        var remaining = Math.Max(0, _inactivityTimeoutSeconds - idleSeconds);
        Status = Status with { RemainingInactivityTimeout = Clamp((ulong)remaining) };
        return remaining == 0 ? Eject() : SlotStep.Nothing;
    }

    private void StartDeactivating()
    {
        State = SlotState.Deactivating;
        Status = Status with { RemainingInactivityTimeout = 0 };
    }

    private void Owe()
    {
        _completionOwed = true;
        _deadline = _clock.GetTimestamp() + (long)(_completionTimeout.TotalSeconds * _clock.TimestampFrequency);
    }

    private Errno? Settle(Errno errno)
    {
        if (!_completionOwed)
        {
            return null;
        }

        _completionOwed = false;
        return errno;
    }

    private string Busy() => State == SlotState.Activating ? "mounting" : "unmounting";

    private void Expect(SlotState state)
    {
        if (State != state)
        {
            throw new InvalidOperationException($"{_slot}: event for state {state} arrived in state {State}");
        }
    }

    private static ushort Clamp(ulong seconds) => (ushort)Math.Min(seconds, ushort.MaxValue);
}
