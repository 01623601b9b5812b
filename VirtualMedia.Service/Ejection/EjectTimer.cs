namespace VirtualMedia.Service.Ejection;

/// <summary>
/// The countdown of a <see cref="EjectPolicy.Timed"/> slot, without any I/O: it starts when the media is
/// inserted and expires <c>EjectTimeout</c> seconds later. For every other policy it never runs.
/// Not thread-safe: the slot calls it with its gate held.
/// </summary>
internal sealed class EjectTimer
{
    private readonly ushort _timeoutSeconds;
    private readonly TimeProvider _clock;
    private long? _started;

    /// <param name="policy">The slot's policy; only <see cref="EjectPolicy.Timed"/> counts down.</param>
    /// <param name="timeoutSeconds">Seconds from insertion to ejection (Timed).</param>
    /// <param name="clock">Time source (a fake one in tests).</param>
    public EjectTimer(EjectPolicy policy, ushort timeoutSeconds, TimeProvider clock)
    {
        _timeoutSeconds = policy == EjectPolicy.Timed ? timeoutSeconds : (ushort)0;
        _clock = clock;
    }

    /// <summary>Seconds left before the media is ejected; 0 when the timer is not running.</summary>
    public ushort Remaining
    {
        get
        {
            if (_started is not { } started)
            {
                return 0;
            }

            var elapsed = (long)_clock.GetElapsedTime(started).TotalSeconds;
            return (ushort)Math.Max(0, _timeoutSeconds - elapsed);
        }
    }

    /// <summary>True once the running timer has reached 0: the media must go.</summary>
    public bool Expired => _started is not null && Remaining == 0;

    /// <summary>The media is inserted: starts counting down (a no-op unless the policy is Timed).</summary>
    public void Start() => _started = _timeoutSeconds > 0 ? _clock.GetTimestamp() : null;

    /// <summary>The media is being removed: stops counting.</summary>
    public void Stop() => _started = null;
}
