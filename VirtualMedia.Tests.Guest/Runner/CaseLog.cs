using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;

namespace VirtualMedia.Tests.Guest.Runner;

/// <summary>A case's log: lines stamped with the time since the case began; also the ILogger given to the code under test.</summary>
public sealed class CaseLog : ILogger
{
    private readonly StringBuilder _text = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _lock = new();

    /// <summary>Everything logged so far.</summary>
    public string Text
    {
        get
        {
            lock (_lock)
            {
                return _text.ToString();
            }
        }
    }

    /// <summary>Adds one line.</summary>
    public void Write(string line)
    {
        lock (_lock)
        {
            _text.Append($"{_clock.Elapsed.TotalSeconds,7:0.000} {line}\n");
        }
    }

    /// <inheritdoc />
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    /// <inheritdoc />
    public bool IsEnabled(LogLevel logLevel) => true;

    /// <inheritdoc />
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Write($"[{logLevel}] {formatter(state, exception)}{(exception is null ? "" : " " + exception.Message)}");
}
