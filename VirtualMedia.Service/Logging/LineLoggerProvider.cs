using System.Text;
using Microsoft.Extensions.Logging;

namespace VirtualMedia.Service.Logging;

/// <summary>Writes each event as one line: a prefix that says its level, then the message.</summary>
internal sealed class LineLoggerProvider : ILoggerProvider, ILogger
{
    private readonly Stream _output;
    private readonly Func<LogLevel, string> _prefix;
    private readonly Lock _writing = new();

    /// <summary>Writes to <paramref name="output"/>, which stays open when the provider is disposed.</summary>
    public LineLoggerProvider(Stream output, Func<LogLevel, string> prefix)
    {
        _output = output;
        _prefix = prefix;
    }

    /// <summary>One line: the prefix, the message, the exception's message after a colon; line breaks become spaces.</summary>
    public static string Line(string prefix, string message, Exception? exception)
    {
        var text = exception is null ? message : message + ": " + exception.Message;

        // journald gives continuation lines the default priority, and a forged "<3>" after a line break would pass for an
        // error of its own: nothing may wrap.
        return prefix + text.Replace("\r\n", " ", StringComparison.Ordinal).Replace('\r', ' ').Replace('\n', ' ') + "\n";
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
        var bytes = Encoding.UTF8.GetBytes(Line(_prefix(logLevel), formatter(state, exception), exception));
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
