namespace VirtualMedia.Tests.Infrastructure;

/// <summary>Polls for something a real peer does in its own time, bounded, failing the test with what it waited for.</summary>
public static class Wait
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);

    /// <summary>Waits until <paramref name="condition"/> holds; fails with <paramref name="what"/>() after
    /// <paramref name="limit"/> (stretched by <see cref="Patience"/>), or at once when <paramref name="giveUp"/> says it
    /// never will (a peer exited).</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan limit, Func<string> what, Func<bool>? giveUp = null)
    {
        var deadline = DateTime.UtcNow + Patience.Scale(limit);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline || giveUp?.Invoke() == true)
            {
                Assert.Fail($"timed out waiting for {what()}");
            }

            await Task.Delay(Interval);
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds (see the other overload).</summary>
    public static Task UntilAsync(Func<Task<bool>> condition, TimeSpan limit, string what) =>
        UntilAsync(condition, limit, () => what);

    /// <summary>Waits until <paramref name="condition"/> holds (see the other overload).</summary>
    public static Task UntilAsync(Func<bool> condition, TimeSpan limit, string what) =>
        UntilAsync(() => Task.FromResult(condition()), limit, () => what);
}
