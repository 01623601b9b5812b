namespace VirtualMedia.DBus;

/// <summary>A match rule with its handler; disposing removes it locally and from the bus.</summary>
internal sealed class MatchSubscription : IAsyncDisposable
{
    private readonly DBusConnection _connection;
    private int _disposed;

    public MatchSubscription(DBusConnection connection, MatchRule rule, Action<DBusMessage> handler)
    {
        _connection = connection;
        Rule = rule;
        Handler = handler;
    }

    public MatchRule Rule { get; }

    public Action<DBusMessage> Handler { get; }

    public ValueTask DisposeAsync() =>
        Interlocked.Exchange(ref _disposed, 1) == 0 ? _connection.RemoveMatchAsync(this) : ValueTask.CompletedTask;
}
