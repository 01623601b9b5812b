using Microsoft.Extensions.Logging;
using NLog;
using NLog.Config;
using NLog.Extensions.Logging;
using NLog.Targets;

namespace VirtualMedia.Service.Logging;

/// <summary>
/// NLog to stdout, one line per event, each starting with the syslog priority journald reads
/// (<c>&lt;3&gt;</c> for errors), so <c>journalctl -u virtual-media -p err</c> shows failures and nothing else.
/// </summary>
internal static class JournalLogging
{
    private const string PriorityRenderer = "journal-priority";

    /// <summary>Replaces the host's logging providers with NLog writing journald lines to stdout.</summary>
    public static ILoggingBuilder AddJournalLogging(this ILoggingBuilder builder)
    {
        builder.ClearProviders();
        builder.SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Trace);
        builder.AddNLog(_ => CreateFactory());
        return builder;
    }

    /// <summary>The syslog priority of an NLog level: err for Error, crit for Fatal, and so on.</summary>
    public static int Priority(NLog.LogLevel level) => level.Ordinal switch
    {
        >= 5 => 2,
        4 => 3,
        3 => 4,
        2 => 6,
        _ => 7,
    };

    private static LogFactory CreateFactory()
    {
        var factory = new LogFactory();
        factory.Setup().SetupExtensions(extensions =>
            extensions.RegisterLayoutRenderer(PriorityRenderer, e => Priority(e.Level).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var console = new ConsoleTarget("journal")
        {
            // One line per event: journald gives continuation lines the default priority, so nothing may wrap.
            Layout = "<${" + PriorityRenderer + "}>${replace-newlines:replacement= :${message}${onexception:inner=\\: ${exception:format=Message}}}",
            AutoFlush = true,
        };
        var configuration = new LoggingConfiguration(factory);
        configuration.AddTarget(console);
        // A failed start is reported by ServiceRunner as the one error line; the host's own report of it would be a second.
        configuration.LoggingRules.Add(new LoggingRule("Microsoft.Extensions.Hosting.Internal.Host", NLog.LogLevel.Trace, NLog.LogLevel.Error, new NullTarget()) { Final = true });
        // The hosting framework's chatter ("Application started") is not an event an operator cares about.
        configuration.AddRule(NLog.LogLevel.Warn, NLog.LogLevel.Fatal, console, "Microsoft.*", final: true);
        configuration.LoggingRules.Add(new LoggingRule("Microsoft.*", NLog.LogLevel.Trace, NLog.LogLevel.Info, new NullTarget()) { Final = true });
        configuration.AddRule(NLog.LogLevel.Info, NLog.LogLevel.Fatal, console, "*");
        factory.Configuration = configuration;
        return factory;
    }
}
