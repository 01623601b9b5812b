using Microsoft.Extensions.Logging;

namespace VirtualMedia.Service.Logging;

/// <summary>
/// Logging to stdout, one line per event, each starting with the syslog priority journald reads
/// (<c>&lt;3&gt;</c> for errors), so <c>journalctl -u virtual-media -p err</c> shows failures and nothing else.
/// </summary>
internal static class JournalLogging
{
    /// <summary>Replaces the host's logging providers with journald lines on stdout: events of Information and above.</summary>
    public static ILoggingBuilder AddJournalLogging(this ILoggingBuilder builder) => builder.AddJournalLogging(Console.OpenStandardOutput());

    /// <summary>The same, writing to <paramref name="output"/>.</summary>
    public static ILoggingBuilder AddJournalLogging(this ILoggingBuilder builder, Stream output)
    {
        builder.ClearProviders();
        builder.SetMinimumLevel(LogLevel.Information);

        // The hosting framework's chatter ("Application started") is not an event an operator cares about.
        builder.AddFilter("Microsoft", LogLevel.Warning);

        // A failed start is reported by ServiceRunner as the one error line; the host's own report of it would be a second.
        builder.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
        builder.AddProvider(new JournalLoggerProvider(output));
        return builder;
    }
}
