using System.Text;
using Microsoft.Extensions.Logging;
using VirtualMedia.Service.Logging;

namespace VirtualMedia.Tests.Service.Logging;

public sealed class JournalLoggingTests
{
    [TestCase(LogLevel.Critical, "<2>")]
    [TestCase(LogLevel.Error, "<3>")]
    [TestCase(LogLevel.Warning, "<4>")]
    [TestCase(LogLevel.Information, "<6>")]
    [TestCase(LogLevel.Debug, "<7>")]
    public void Each_line_starts_with_the_syslog_priority_of_its_level(LogLevel level, string prefix)
    {
        JournalLoggerProvider.Line(level, "Slot_0: mounted", null).Should().Be(prefix + "Slot_0: mounted\n");
    }

    [Test]
    public void Line_breaks_in_a_message_or_exception_cannot_start_a_forged_entry()
    {
        var line = JournalLoggerProvider.Line(LogLevel.Information, "Slot_0: a\r\n<3>b\rc", new IOException("d\n<3>e"));

        line.Should().Be("<6>Slot_0: a <3>b c: d <3>e\n");
    }

    [Test]
    public void The_service_logs_information_and_above_and_only_warnings_of_the_framework()
    {
        using var output = new MemoryStream();
        using (var loggers = LoggerFactory.Create(builder => builder.AddJournalLogging(output)))
        {
            var service = loggers.CreateLogger("VirtualMedia");
            service.LogDebug("not shown");
            service.LogInformation("Serving {Count} slots", 2);
            service.LogError(new TimeoutException("no answer"), "Slot_1: mount failed");
            var framework = loggers.CreateLogger("Microsoft.Extensions.Hosting.Internal.Lifetime");
            framework.LogInformation("Application started");
            framework.LogWarning("slow stop");
            loggers.CreateLogger("Microsoft.Extensions.Hosting.Internal.Host").LogError("start failed");
        }

        Encoding.UTF8.GetString(output.ToArray()).Should().Be("<6>Serving 2 slots\n<3>Slot_1: mount failed: no answer\n<4>slow stop\n");
    }
}
