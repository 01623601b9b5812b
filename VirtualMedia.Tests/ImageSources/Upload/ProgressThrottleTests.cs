using VirtualMedia.Service.ImageSources.Upload;
using VirtualMedia.Service.Slots;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.ImageSources.Upload;

/// <summary>The pace of the Transfer properties: new byte counts at most once a second, milestones at once.</summary>
public sealed class ProgressThrottleTests
{
    private const long Size = 100 << 20;
    private readonly ManualClock _clock = new();

    [Test]
    public void Byte_counts_go_out_at_most_once_a_second_and_the_start_and_Complete_at_once()
    {
        var throttle = new ProgressThrottle(_clock);

        throttle.Next(default).Should().Be(default(TransferProgress));
        throttle.Next(new(0, Size, false)).Should().Be(new TransferProgress(0, Size, false), "a copy's start goes out at once");
        _clock.Advance(TimeSpan.FromMilliseconds(400));
        throttle.Next(new(10, Size, false)).Should().Be(new TransferProgress(0, Size, false), "0.4 s after the last one");
        _clock.Advance(TimeSpan.FromMilliseconds(599));
        throttle.Next(new(20, Size, false)).BytesCopied.Should().Be(0, "0.999 s after the last one");
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        throttle.Next(new(30, Size, false)).BytesCopied.Should().Be(30, "a second after the last one");
        _clock.Advance(TimeSpan.FromMilliseconds(100));
        throttle.Next(new(Size, Size, true)).Should().Be(new TransferProgress(Size, Size, true), "Complete goes out at once");
        throttle.Next(default).Should().Be(default(TransferProgress), "the media's removal goes out at once");
    }

    [Test]
    public void Nothing_new_is_published_while_nothing_changes()
    {
        var throttle = new ProgressThrottle(_clock);
        throttle.Next(new(5, Size, false));
        _clock.Advance(TimeSpan.FromSeconds(10));

        throttle.Next(new(5, Size, false)).Should().Be(new TransferProgress(5, Size, false));
        throttle.Next(new(6, Size, false)).BytesCopied.Should().Be(6, "the quiet time counts toward the next second");
    }
}
