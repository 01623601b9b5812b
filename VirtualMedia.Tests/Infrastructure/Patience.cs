using System.Globalization;

namespace VirtualMedia.Tests.Infrastructure;

/// <summary>How long tests wait for the service: <c>VIRTUALMEDIA_TEST_TIME_SCALE</c> stretches every bounded wait.</summary>
/// <remarks>
/// scripts/test runs the arm64 binary under qemu-user, several times slower than the native one; stretching the
/// limits in one place keeps each test's own figures those of a real machine.
/// </remarks>
public static class Patience
{
    /// <summary>The factor the limits are multiplied by (1 unless the variable says more).</summary>
    public static double Factor { get; } =
        double.TryParse(Environment.GetEnvironmentVariable("VIRTUALMEDIA_TEST_TIME_SCALE"), NumberStyles.Float, CultureInfo.InvariantCulture, out var factor)
        && factor >= 1
            ? factor
            : 1;

    /// <summary><paramref name="limit"/> stretched by <see cref="Factor"/>.</summary>
    public static TimeSpan Scale(TimeSpan limit) => limit * Factor;
}
