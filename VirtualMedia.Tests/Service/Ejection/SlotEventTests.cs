using VirtualMedia.Nbd;
using VirtualMedia.Service.Bus;
using VirtualMedia.Service.Ejection;

namespace VirtualMedia.Tests.Service.Ejection;

public sealed class SlotEventTests
{
    private const string Url = "https://images.example/install.iso";

    [Test]
    public void A_failure_names_the_slot_the_url_and_the_errnos_meaning()
    {
        var slotEvent = new SlotEvent("Slot_2", Url, SlotEventKind.ClientExited, Errno.EIO, "exit code 1");

        slotEvent.IsFailure.Should().BeTrue();
        slotEvent.Message.Should().Be(
            "Virtual media Slot_2: ejected https://images.example/install.iso: the NBD client ended (exit code 1): Input/output error (errno 5)");
    }

    [TestCase(SlotEventKind.TimedEject, "its eject policy is Timed")]
    [TestCase(SlotEventKind.PowerOffEject, "the host powered off")]
    [TestCase(SlotEventKind.InactivityEject, "no I/O for the InactivityTimeout")]
    public void An_ejection_the_configuration_asked_for_is_informational_and_says_why(SlotEventKind kind, string why)
    {
        var slotEvent = new SlotEvent("Slot_3", Url, kind, 0);

        slotEvent.IsFailure.Should().BeFalse();
        slotEvent.Message.Should().StartWith("Virtual media Slot_3: ejected " + Url).And.Contain(why).And.NotContain("errno");
    }

    [TestCase(SlotEventKind.SourceFailed, Errno.ECONNRESET, "Connection reset by peer")]
    [TestCase(SlotEventKind.MountFailed, Errno.EACCES, "Permission denied")]
    [TestCase(SlotEventKind.MountTimedOut, Errno.EBUSY, "Device or resource busy")]
    [TestCase(SlotEventKind.RemovalFailed, Errno.EBUSY, "Device or resource busy")]
    public void Every_other_kind_is_a_failure(SlotEventKind kind, Errno errno, string meaning)
    {
        var slotEvent = new SlotEvent("Slot_2", Url, kind, errno);

        slotEvent.IsFailure.Should().BeTrue();
        slotEvent.Message.Should().Contain(Url).And.EndWith($": {meaning} (errno {(int)errno})");
    }

    [Test]
    public void The_Create_call_carries_message_severity_and_SLOT_URL_ERRNO()
    {
        var failure = new SlotEvent("Slot_2", Url, SlotEventKind.MountFailed, Errno.EACCES);

        var (message, severity, data) = PhosphorLogging.EntryOf(failure);

        message.Should().Be(failure.Message);
        severity.Should().Be("xyz.openbmc_project.Logging.Entry.Level.Error");
        data.Should().BeEquivalentTo(new Dictionary<string, string>
        {
            ["SLOT"] = "Slot_2",
            ["URL"] = Url,
            ["ERRNO"] = "13",
            ["REASON"] = "MountFailed",
        });
        PhosphorLogging.EntryOf(new SlotEvent("Slot_3", Url, SlotEventKind.TimedEject, 0)).Severity
            .Should().Be("xyz.openbmc_project.Logging.Entry.Level.Informational");
    }
}
