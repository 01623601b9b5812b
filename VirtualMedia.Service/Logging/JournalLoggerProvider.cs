using System.Text;
using Microsoft.Extensions.Logging;

namespace VirtualMedia.Service.Logging;

/// <summary>Writes each event as one line that starts with the syslog priority journald reads from a unit's stdout.</summary>
internal sealed class JournalLoggerProvider : ILoggerProvider, ILogger
{
    private readonly Stream _output;
    private readonly Lock _writing = new();

    /// <summary>Writes to <paramref name="output"/>, which stays open when the provider is disposed.</summary>
    public JournalLoggerProvider(Stream output)
    {
        _output = output;
    }

    /// <summary>The syslog priority of a level: err for Error, crit for Critical, and so on.</summary>
    public static int Priority(LogLevel level) => level switch
    {
        LogLevel.Critical => 2,
        LogLevel.Error => 3,
        LogLevel.Warning => 4,
        LogLevel.Information => 6,
        _ => 7,
    };

    /// <summary>One journal line: the priority, the message, the exception's message after a colon; line breaks become spaces.</summary>
    public static string Line(LogLevel level, string message, Exception? exception)
    {
        var text = exception is null ? message : message + ": " + exception.Message;

        // journald gives continuation lines the default priority, and a forged "<3>" after a line break would pass for an
        // error of its own: nothing may wrap.
        return "<" + Priority(level) + ">" + text.Replace("\r\n", " ", StringComparison.Ordinal).Replace('\r', ' ').Replace('\n', ' ') + "\n";
    }

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => this;

    /// <inheritdoc />
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    /// <inheritdoc />
    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

    /// <inheritdoc />
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        var bytes = Encoding.UTF8.GetBytes(Line(logLevel, formatter(state, exception), exception));
        lock (_writing)
        {
            try
            {
                _output.Write(bytes);
                _output.Flush();
            }
            catch (IOException)
            {
                // A closed stdout (journald restarting) costs log lines, never the caller's operation.
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }
}
