using System.Collections.Concurrent;
using VirtualMedia.DBus;

namespace VirtualMedia.Tests.Service.Ejection;

/// <summary>
/// Stands in for phosphor-logging on a test bus: records every <c>Create(s, s, a{ss})</c> call; a silent one never
/// answers (a hung logging service) until it is disposed.
/// </summary>
internal sealed class PhosphorLoggingStandIn : IAsyncDisposable
{
    public const string Name = "xyz.openbmc_project.Logging";
    public const string Path = "/xyz/openbmc_project/logging";

    private readonly DBusConnection _connection;
    private readonly BlockingCollection<LogEntry> _entries = [];
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly bool _silent;

    private PhosphorLoggingStandIn(DBusConnection connection, bool silent)
    {
        _connection = connection;
        _silent = silent;
        connection.Objects.Register(Path, new DBusInterface("xyz.openbmc_project.Logging.Create")
            .AddMethod("Create", "ssa{ss}", string.Empty, Create, ["Message", "Severity", "AdditionalData"]));
    }

    public static async Task<PhosphorLoggingStandIn> StartAsync(string address, bool silent = false)
    {
        var connection = await DBusConnection.ConnectAsync(address);
        var standIn = new PhosphorLoggingStandIn(connection, silent);
        await connection.RequestNameAsync(Name);
        return standIn;
    }

    /// <summary>The next entry created, waiting up to <paramref name="timeout"/>; null when none came.</summary>
    public LogEntry? Next(TimeSpan timeout) => _entries.TryTake(out var entry, timeout) ? entry : null;

    public async ValueTask DisposeAsync()
    {
        _release.TrySetResult();
        await _connection.DisposeAsync();
        _entries.Dispose();
    }

    private async ValueTask<MessageBody?> Create(MethodCall call, CancellationToken cancellationToken)
    {
        var reader = call.Reader;
        var message = reader.ReadString();
        var severity = reader.ReadString();
        var data = ((Dictionary<object, object>)reader.ReadValue("a{ss}")).ToDictionary(p => (string)p.Key, p => (string)p.Value);
        _entries.Add(new LogEntry(message, severity, data), cancellationToken);
        if (_silent)
        {
            await _release.Task.WaitAsync(cancellationToken);
        }

        return null;
    }

    /// <summary>One Create call: what phosphor-logging would turn into an entry.</summary>
    internal sealed record LogEntry(string Message, string Severity, Dictionary<string, string> Data);
}
