using VirtualMedia.Service.Ejection;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.Service.Ejection;

public sealed class EjectTimerTests
{
    private readonly ManualClock _clock = new();

    [Test]
    public void A_timed_slot_counts_down_from_insertion_and_expires_at_its_EjectTimeout()
    {
        var timer = new EjectTimer(EjectPolicy.Timed, 3, _clock);
        timer.Remaining.Should().Be(0, "nothing is inserted yet");

        timer.Start();
        timer.Remaining.Should().Be(3);
        _clock.Advance(TimeSpan.FromSeconds(1.5));
        timer.Remaining.Should().Be(2);
        timer.Expired.Should().BeFalse();
        _clock.Advance(TimeSpan.FromSeconds(1.49));
        timer.Remaining.Should().Be(1);
        _clock.Advance(TimeSpan.FromSeconds(0.01));

        timer.Remaining.Should().Be(0);
        timer.Expired.Should().BeTrue();
        _clock.Advance(TimeSpan.FromHours(1));
        timer.Remaining.Should().Be(0, "it never goes below 0");
    }

    [Test]
    public void Stopping_clears_the_countdown_and_a_new_insertion_starts_it_afresh()
    {
        var timer = new EjectTimer(EjectPolicy.Timed, 60, _clock);
        timer.Start();
        _clock.Advance(TimeSpan.FromSeconds(59));

        timer.Stop();
        _clock.Advance(TimeSpan.FromSeconds(10));

        timer.Expired.Should().BeFalse();
        timer.Remaining.Should().Be(0);
        timer.Start();
        timer.Remaining.Should().Be(60);
    }

    [TestCase(EjectPolicy.Persistent)]
    [TestCase(EjectPolicy.OnPowerOff)]
    [TestCase(EjectPolicy.Session)]
    public void Other_policies_never_count_down(EjectPolicy policy)
    {
        var timer = new EjectTimer(policy, 5, _clock);
        timer.Start();

        _clock.Advance(TimeSpan.FromDays(1));

        timer.Remaining.Should().Be(0);
        timer.Expired.Should().BeFalse();
    }

    [Test]
    public void The_longest_timeout_is_shown_whole()
    {
        var timer = new EjectTimer(EjectPolicy.Timed, ushort.MaxValue, _clock);
        timer.Start();

        timer.Remaining.Should().Be(ushort.MaxValue);
        _clock.Advance(TimeSpan.FromSeconds(ushort.MaxValue - 1));
        timer.Remaining.Should().Be(1);
    }
}
