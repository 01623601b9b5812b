using System.Globalization;
using Microsoft.Extensions.Logging;

namespace VirtualMedia.Service.Logging;

/// <summary>
/// Logging to stdout, one line per event of Information and above. The service's lines start with the syslog
/// priority journald reads (<c>&lt;3&gt;</c> for errors), so <c>journalctl -u virtual-media -p err</c> shows failures
/// and nothing else; <c>serve</c>'s, read in a terminal, with the time and the level.
/// </summary>
internal static class JournalLogging
{
    /// <summary>The service's loggers: journald lines on stdout.</summary>
    public static ILoggerFactory CreateJournalLoggers() => CreateJournalLoggers(Console.OpenStandardOutput());

    /// <summary>The same, writing to <paramref name="output"/>.</summary>
    public static ILoggerFactory CreateJournalLoggers(Stream output) =>
        Create(new LineLoggerProvider(output, level => "<" + Priority(level).ToString(CultureInfo.InvariantCulture) + ">"));

    /// <summary><c>serve</c>'s loggers: "12:34:56 info: " and the message, on stdout.</summary>
    public static ILoggerFactory CreateTerminalLoggers() =>
        Create(new LineLoggerProvider(Console.OpenStandardOutput(), level => DateTime.Now.ToString("HH:mm:ss ", CultureInfo.InvariantCulture) + Name(level) + ": "));

    /// <summary>The syslog priority of a level: err for Error, crit for Critical, and so on.</summary>
    public static int Priority(LogLevel level) => level switch
    {
        LogLevel.Critical => 2,
        LogLevel.Error => 3,
        LogLevel.Warning => 4,
        LogLevel.Information => 6,
        _ => 7,
    };

    private static string Name(LogLevel level) => level switch
    {
        LogLevel.Critical => "crit",
        LogLevel.Error => "fail",
        LogLevel.Warning => "warn",
        LogLevel.Information => "info",
        _ => "dbug",
    };

    // Built directly, not with LoggerFactory.Create: that builds a dependency-injection container for two objects.
    private static LoggerFactory Create(LineLoggerProvider provider) =>
        new([provider], new LoggerFilterOptions { MinLevel = LogLevel.Information });
}
