using System.Collections.Concurrent;
using VirtualMedia.DBus;

namespace VirtualMedia.Tests.Service.Ejection;

/// <summary>Stands in for phosphor-logging on a test bus: records every <c>Create(s, s, a{ss})</c> call.</summary>
internal sealed class PhosphorLoggingStandIn : IAsyncDisposable
{
    public const string Name = "xyz.openbmc_project.Logging";
    public const string Path = "/xyz/openbmc_project/logging";

    private readonly DBusConnection _connection;
    private readonly BlockingCollection<LogEntry> _entries = [];

    private PhosphorLoggingStandIn(DBusConnection connection)
    {
        _connection = connection;
        connection.Objects.Register(Path, new DBusInterface("xyz.openbmc_project.Logging.Create")
            .AddMethod("Create", "ssa{ss}", string.Empty, Create, ["Message", "Severity", "AdditionalData"]));
    }

    public static async Task<PhosphorLoggingStandIn> StartAsync(string address)
    {
        var connection = await DBusConnection.ConnectAsync(address);
        var standIn = new PhosphorLoggingStandIn(connection);
        await connection.RequestNameAsync(Name);
        return standIn;
    }

    /// <summary>The next entry created, waiting up to <paramref name="timeout"/>; null when none came.</summary>
    public LogEntry? Next(TimeSpan timeout) => _entries.TryTake(out var entry, timeout) ? entry : null;

    public async ValueTask DisposeAsync()
    {
        await _connection.DisposeAsync();
        _entries.Dispose();
    }

    private ValueTask<MessageBody?> Create(MethodCall call, CancellationToken cancellationToken)
    {
        var reader = call.Reader;
        var message = reader.ReadString();
        var severity = reader.ReadString();
        var data = ((Dictionary<object, object>)reader.ReadValue("a{ss}")).ToDictionary(p => (string)p.Key, p => (string)p.Value);
        _entries.Add(new LogEntry(message, severity, data), cancellationToken);
        return ValueTask.FromResult<MessageBody?>(null);
    }

    /// <summary>One Create call: what phosphor-logging would turn into an entry.</summary>
    internal sealed record LogEntry(string Message, string Severity, Dictionary<string, string> Data);
}
