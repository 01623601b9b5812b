using VirtualMedia.Nbd;
using VirtualMedia.Service.ImageSources.Http;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.ImageSources;

/// <summary>The outage rules of one source, on a clock that moves only when told.</summary>
public sealed class SourceOutageTests
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Delay = TimeSpan.FromSeconds(1);
    private ManualClock _clock = null!;
    private SourceOutage _outage = null!;

    [SetUp]
    public void SetUp()
    {
        _clock = new ManualClock();
        _outage = new SourceOutage(Budget, _clock);
    }

    [Test]
    public void The_first_failure_begins_an_outage_and_the_next_success_ends_it_with_its_length()
    {
        _outage.Succeeded().Should().BeNull("there was no outage");
        _outage.Failed(Delay, Fail).Should().Be(new OutageStep(true, null, false));
        _clock.Advance(TimeSpan.FromSeconds(3));
        _outage.Failed(Delay, Fail).Should().Be(new OutageStep(false, null, false), "the same outage goes on");
        _clock.Advance(TimeSpan.FromSeconds(4));

        _outage.Succeeded().Should().Be(TimeSpan.FromSeconds(7));
        _outage.Succeeded().Should().BeNull("the outage was reported once");
        _outage.Failed(Delay, Fail).Began.Should().BeTrue("a later failure is a new outage");
    }

    [Test]
    public void An_outage_past_its_budget_fails_the_source_once_and_for_good()
    {
        _outage.Failed(Delay, Fail);
        _clock.Advance(Budget - Delay);
        _outage.Failed(Delay, Fail).Failure.Should().BeNull("one more retry still fits in the budget");
        _clock.Advance(TimeSpan.FromMilliseconds(1));

        var step = _outage.Failed(Delay, Fail);

        step.JustFailed.Should().BeTrue();
        step.Failure!.Errno.Should().Be(Errno.EIO);
        step.Failure.Message.Should().Be("gone after 19 s");
        _outage.Failed(Delay, Fail).Should().Be(new OutageStep(false, step.Failure, false), "the failure is reported once");
        _outage.Succeeded().Should().BeNull("a source given up stays given up");
        _outage.HasFailed(out var failure).Should().BeTrue();
        failure.Should().BeSameAs(step.Failure);
    }

    [Test]
    public void Failures_separated_by_a_success_never_add_up()
    {
        for (var i = 0; i < 10; i++)
        {
            _outage.Failed(Delay, Fail).Began.Should().BeTrue();
            _clock.Advance(TimeSpan.FromSeconds(15));
            _outage.Succeeded().Should().Be(TimeSpan.FromSeconds(15));
        }

        _outage.HasFailed(out _).Should().BeFalse();
    }

    private static ImageSourceException Fail(TimeSpan lasted) => new(Errno.EIO, $"gone after {lasted.TotalSeconds:0} s");
}
