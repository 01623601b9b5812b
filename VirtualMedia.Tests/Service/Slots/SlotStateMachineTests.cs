using VirtualMedia.Nbd;
using VirtualMedia.Service.Errors;
using VirtualMedia.Service.Slots;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.Service.Slots;

public sealed class SlotStateMachineTests
{
    private static readonly TimeSpan CompletionTimeout = TimeSpan.FromSeconds(35);
    private ManualClock _clock = null!;
    private SlotStateMachine _machine = null!;

    [SetUp]
    public void SetUp()
    {
        _clock = new ManualClock();
        _machine = new SlotStateMachine("Slot_2", inactivityTimeoutSeconds: 10, CompletionTimeout, _clock);
    }

    [Test]
    public void A_new_slot_is_ready_and_empty()
    {
        _machine.State.Should().Be(SlotState.Ready);
        _machine.Status.Should().Be(new SlotStatus(false, 0, string.Empty, true, 0, 0, 0));
    }

    [Test]
    public void Mount_then_unmount_goes_round_the_states_with_one_completion_each()
    {
        _machine.BeginMount();
        _machine.State.Should().Be(SlotState.Activating);
        _machine.Status.ExitCode.Should().Be(-1);

        _machine.AcceptMount("https://host/image.iso", writeProtected: true);
        _machine.Status.ImageUrl.Should().Be("https://host/image.iso");
        _machine.ActivationEnded(0).Should().Be(new SlotStep(0, SlotAction.None));
        _machine.State.Should().Be(SlotState.Active);
        _machine.Status.Active.Should().BeTrue();
        _machine.Status.RemainingInactivityTimeout.Should().Be(10);

        _machine.BeginUnmount().Should().Be(new SlotStep(null, SlotAction.Deactivate));
        _machine.State.Should().Be(SlotState.Deactivating);
        _machine.Deactivated(0).Should().Be(new SlotStep(0, SlotAction.None));
        _machine.State.Should().Be(SlotState.Ready);
        _machine.Status.Active.Should().BeFalse();
        _machine.Status.ImageUrl.Should().BeEmpty();
        _machine.Tick(0, 0).Should().Be(SlotStep.Nothing);
    }

    [Test]
    public void A_rejected_mount_returns_to_ready_without_completion()
    {
        _machine.BeginMount();
        _machine.RejectMount();

        _machine.State.Should().Be(SlotState.Ready);
        _machine.Status.Should().Be(SlotStatus.Empty);
        _clock.Advance(TimeSpan.FromMinutes(5));
        _machine.Tick(0, 0).Should().Be(SlotStep.Nothing);
    }

    [Test]
    public void A_failed_activation_completes_with_its_errno_and_keeps_the_exit_code()
    {
        _machine.BeginMount();
        _machine.AcceptMount("https://host/x", true);
        _machine.ProcessExited(1).Should().Be(SlotStep.Nothing);

        _machine.ActivationEnded(Errno.EIO).Should().Be(new SlotStep(Errno.EIO, SlotAction.None));
        _machine.State.Should().Be(SlotState.Ready);
        _machine.Status.ExitCode.Should().Be(1);
        _machine.Status.ImageUrl.Should().BeEmpty();
    }

    [Test]
    public void Mount_is_refused_by_state_as_in_the_error_table()
    {
        _machine.BeginMount();
        var busy = () => _machine.BeginMount();
        busy.Should().Throw<MediaException>().Which.Errno.Should().Be(Errno.EBUSY);

        _machine.AcceptMount("u", true);
        _machine.ActivationEnded(0);
        var active = () => _machine.BeginMount();
        active.Should().Throw<MediaException>().Which.Errno.Should().Be(Errno.EPERM);

        _machine.BeginUnmount();
        var deactivating = () => _machine.BeginMount();
        deactivating.Should().Throw<MediaException>().Which.Errno.Should().Be(Errno.EBUSY);
    }

    [Test]
    public void Unmount_is_refused_by_state_as_in_the_error_table()
    {
        var ready = () => _machine.BeginUnmount();
        ready.Should().Throw<MediaException>().Which.Errno.Should().Be(Errno.EPERM);
        ready.Should().Throw<MediaException>().Which.Message.Should().StartWith("Slot_2 has no media inserted");

        _machine.BeginMount();
        var activating = () => _machine.BeginUnmount();
        activating.Should().Throw<MediaException>().Which.Errno.Should().Be(Errno.EBUSY);
    }

    [Test]
    public void An_activation_past_its_deadline_completes_once_with_EBUSY_and_is_cancelled()
    {
        _machine.BeginMount();
        _machine.AcceptMount("u", true);
        _clock.Advance(CompletionTimeout - TimeSpan.FromSeconds(1));
        _machine.Tick(0, 0).Should().Be(SlotStep.Nothing);

        _clock.Advance(TimeSpan.FromSeconds(1));
        _machine.Tick(0, 0).Should().Be(new SlotStep(Errno.EBUSY, SlotAction.CancelActivation));
        _machine.State.Should().Be(SlotState.Deactivating);
        _machine.Tick(0, 0).Should().Be(SlotStep.Nothing);

        _machine.ActivationEnded(Errno.EIO).Should().Be(SlotStep.Nothing);
        _machine.State.Should().Be(SlotState.Ready);
    }

    [Test]
    public void An_activation_that_succeeds_after_its_deadline_is_undone_without_a_second_completion()
    {
        _machine.BeginMount();
        _machine.AcceptMount("u", true);
        _clock.Advance(CompletionTimeout);
        _machine.Tick(0, 0).Completion.Should().Be(Errno.EBUSY);

        _machine.ActivationEnded(0).Should().Be(new SlotStep(null, SlotAction.Deactivate));
        _machine.Deactivated(0).Should().Be(SlotStep.Nothing);
        _machine.State.Should().Be(SlotState.Ready);
    }

    [Test]
    public void An_unmount_past_its_deadline_completes_with_EBUSY_and_the_late_end_completes_nothing()
    {
        Activate();
        _machine.BeginUnmount();
        _clock.Advance(CompletionTimeout);

        _machine.Tick(0, 0).Should().Be(new SlotStep(Errno.EBUSY, SlotAction.None));
        _machine.Deactivated(0).Should().Be(SlotStep.Nothing);
    }

    [Test]
    public void Inactivity_counts_down_each_second_and_ejects_without_completion()
    {
        Activate();
        for (var remaining = 9; remaining > 0; remaining--)
        {
            _clock.Advance(TimeSpan.FromSeconds(1));
            _machine.Tick(0, 0).Should().Be(SlotStep.Nothing);
            _machine.Status.RemainingInactivityTimeout.Should().Be((ushort)remaining);
        }

        _clock.Advance(TimeSpan.FromSeconds(1));
        _machine.Tick(0, 0).Should().Be(new SlotStep(null, SlotAction.Deactivate));
        _machine.State.Should().Be(SlotState.Deactivating);
        _machine.Status.RemainingInactivityTimeout.Should().Be(0);
        _machine.Deactivated(0).Should().Be(SlotStep.Nothing);
    }

    [Test]
    public void IO_restarts_the_inactivity_countdown_and_is_published()
    {
        Activate();
        _clock.Advance(TimeSpan.FromSeconds(8));
        _machine.Tick(0, 0);
        _machine.Status.RemainingInactivityTimeout.Should().Be(2);

        _clock.Advance(TimeSpan.FromSeconds(1));
        _machine.Tick(5, 0);
        _machine.Status.Should().Match<SlotStatus>(s => s.ReadIO == 5 && s.WriteIO == 0 && s.RemainingInactivityTimeout == 10);

        _clock.Advance(TimeSpan.FromSeconds(9));
        _machine.Tick(5, 1).Should().Be(SlotStep.Nothing);
        _machine.Status.WriteIO.Should().Be(1);
        _machine.Status.RemainingInactivityTimeout.Should().Be(10);
    }

    [Test]
    public void Inactivity_timeout_zero_never_ejects()
    {
        var machine = new SlotStateMachine("Slot_0", 0, CompletionTimeout, _clock);
        machine.BeginMount();
        machine.AcceptMount("u", true);
        machine.ActivationEnded(0);

        _clock.Advance(TimeSpan.FromDays(3));
        machine.Tick(0, 0).Should().Be(SlotStep.Nothing);
        machine.Status.RemainingInactivityTimeout.Should().Be(0);
        machine.State.Should().Be(SlotState.Active);
    }

    [Test]
    public void A_client_exit_while_active_ejects_and_records_the_exit_code()
    {
        Activate();

        _machine.ProcessExited(3).Should().Be(new SlotStep(null, SlotAction.Deactivate));
        _machine.Deactivated(0);
        _machine.Status.ExitCode.Should().Be(3);
    }

    [Test]
    public void A_source_that_failed_ejects_and_its_end_completes_once_with_the_errno()
    {
        Activate();

        _machine.SourceFailed(Errno.EIO).Should().Be(new SlotStep(null, SlotAction.Deactivate));
        _machine.State.Should().Be(SlotState.Deactivating);
        _machine.Deactivated(0, exitCode: 0).Should().Be(new SlotStep(Errno.EIO, SlotAction.None));
        _machine.State.Should().Be(SlotState.Ready);
        _machine.Tick(0, 0).Should().Be(SlotStep.Nothing, "the failure was settled once");

        Activate();
        _machine.BeginUnmount();
        _machine.Deactivated(0).Should().Be(new SlotStep(0, SlotAction.None), "the next media's end owes nothing of the old failure");
    }

    [Test]
    public void A_source_failure_after_the_media_is_going_changes_nothing()
    {
        Activate();
        _machine.BeginUnmount();

        _machine.SourceFailed(Errno.EIO).Should().Be(SlotStep.Nothing);
        _machine.Deactivated(0).Should().Be(new SlotStep(0, SlotAction.None), "the Unmount's own Completion");
    }

    [Test]
    public void Eject_on_a_slot_that_is_not_active_does_nothing()
    {
        _machine.Eject().Should().Be(SlotStep.Nothing);
        _machine.State.Should().Be(SlotState.Ready);
    }

    [Test]
    public void Stats_restart_at_each_mount()
    {
        Activate();
        _machine.Tick(7, 3);
        _machine.BeginUnmount();
        _machine.Deactivated(0);

        _machine.BeginMount();
        _machine.Status.ReadIO.Should().Be(0);
        _machine.Status.WriteIO.Should().Be(0);
    }

    private void Activate()
    {
        _machine.BeginMount();
        _machine.AcceptMount("https://host/image.iso", true);
        _machine.ActivationEnded(0);
    }
}
