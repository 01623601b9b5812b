using System.Text;
using Microsoft.Extensions.Logging;
using VirtualMedia.Service.Logging;

namespace VirtualMedia.Tests.Service.Logging;

public sealed class JournalLoggingTests
{
    [TestCase(LogLevel.Critical, 2)]
    [TestCase(LogLevel.Error, 3)]
    [TestCase(LogLevel.Warning, 4)]
    [TestCase(LogLevel.Information, 6)]
    [TestCase(LogLevel.Debug, 7)]
    public void Each_level_has_its_syslog_priority(LogLevel level, int priority)
    {
        JournalLogging.Priority(level).Should().Be(priority);
    }

    [Test]
    public void Line_breaks_in_a_message_or_exception_cannot_start_a_forged_entry()
    {
        var line = LineLoggerProvider.Line("<6>", "Slot_0: a\r\n<3>b\rc", new IOException("d\n<3>e"));

        line.Should().Be("<6>Slot_0: a <3>b c: d <3>e\n");
    }

    [Test]
    public void The_service_writes_one_line_per_event_of_information_and_above_with_its_priority()
    {
        using var output = new MemoryStream();
        using (var loggers = JournalLogging.CreateJournalLoggers(output))
        {
            var logger = loggers.CreateLogger("VirtualMedia");
            logger.LogDebug("not shown");
            logger.LogInformation("Serving {Count} slots", 2);
            logger.LogWarning("Slot_0: no I/O");
            logger.LogError(new TimeoutException("no answer"), "Slot_1: mount failed");
            logger.LogCritical("out of memory");
        }

        Encoding.UTF8.GetString(output.ToArray()).Should().Be(
            "<6>Serving 2 slots\n<4>Slot_0: no I/O\n<3>Slot_1: mount failed: no answer\n<2>out of memory\n");
    }
}
