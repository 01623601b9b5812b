namespace VirtualMedia.DBus;

/// <content>Match rules: signal subscriptions, on the bus and in the reader.</content>
public sealed partial class DBusConnection
{
    private async Task<IAsyncDisposable> AddMatchCoreAsync(MatchRule rule, Action<DBusMessage> handler, CancellationToken cancellationToken)
    {
        var subscription = new MatchSubscription(this, rule, handler);
        lock (_matchLock)
        {
            _matches = [.. _matches, subscription];
        }

        if (_isBus)
        {
            try
            {
                using var reply = await CallBusAsync("AddMatch", rule.ToString(), cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                Unsubscribe(subscription);
                throw;
            }
        }

        return subscription;
    }

    internal async ValueTask RemoveMatchAsync(MatchSubscription subscription)
    {
        Unsubscribe(subscription);
        if (_isBus && Volatile.Read(ref _closed) == 0)
        {
            try
            {
                await CallBusAsync("RemoveMatch", subscription.Rule.ToString(), CancellationToken.None).ConfigureAwait(false);
            }
            catch (DBusConnectionClosedException)
            {
                // Closed meanwhile: the bus forgot the rule with the connection.
            }
        }
    }

    private void Unsubscribe(MatchSubscription subscription)
    {
        lock (_matchLock)
        {
            _matches = [.. _matches.Where(m => m != subscription)];
        }
    }
}
