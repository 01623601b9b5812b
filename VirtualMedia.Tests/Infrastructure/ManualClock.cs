namespace VirtualMedia.Tests.Infrastructure;

/// <summary>A clock that only moves when a test says so (timestamps only; no timers).</summary>
public sealed class ManualClock : TimeProvider
{
    private long _ticks = 1_000_000;

    /// <inheritdoc />
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <inheritdoc />
    public override long GetTimestamp() => _ticks;

    /// <summary>Moves the clock forward.</summary>
    public void Advance(TimeSpan by) => _ticks += by.Ticks;
}
