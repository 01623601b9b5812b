using VirtualMedia.Nbd.Protocol;
using VirtualMedia.Nbd.Server;

namespace VirtualMedia.Nbd;

/// <summary>An NBD server (fixed newstyle) for one or more exports, serving clients on any duplex stream.</summary>
public sealed class NbdServer
{
    private readonly Dictionary<string, NbdExport> _exports;
    private readonly NbdServerOptions _options;
    private readonly NbdBufferBudget _budget;
    private int _activeConnections;

    public NbdServer(IEnumerable<NbdExport> exports, NbdServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(exports);
        _exports = exports.ToDictionary(e => e.Name, StringComparer.Ordinal);
        _options = options ?? new NbdServerOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxInFlightRequests, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.BufferBudgetBytes, NbdConstants.MaxPayload);
        _budget = new NbdBufferBudget(_options.BufferBudgetBytes, _options.RetainedBufferBytes);
    }

    public NbdServer(NbdExport export, NbdServerOptions? options = null)
        : this([export], options)
    {
    }

    /// <summary>The exports, by name.</summary>
    public IReadOnlyDictionary<string, NbdExport> Exports => _exports;

    /// <summary>Bytes of idle request buffers kept for the next requests and connections (at most
    /// <see cref="NbdServerOptions.RetainedBufferBytes"/>).</summary>
    public long RetainedBufferBytes => _budget.RetainedBytes;

    /// <summary>Bytes of request buffers held by requests of any connection right now.</summary>
    public long BufferBytesInUse => _budget.BytesInUse;

    /// <summary>The most bytes of request buffers requests have held at once.</summary>
    public long PeakBufferBytesInUse => _budget.PeakBytesInUse;

    /// <summary>The buffers of all connections, bounded by <see cref="NbdServerOptions.BufferBudgetBytes"/>.</summary>
    internal NbdBufferBudget Budget => _budget;

    /// <summary>Clients currently connected.</summary>
    public int ActiveConnections => Volatile.Read(ref _activeConnections);

    /// <summary>Serves one client on <paramref name="stream"/> until it disconnects; the caller owns the stream.</summary>
    /// <remarks>Protocol violations and broken streams end the connection quietly (reported to
    /// <see cref="NbdServerOptions.ConnectionFailed"/>); only cancellation is thrown.</remarks>
    public async Task ServeAsync(Stream stream, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Interlocked.Increment(ref _activeConnections);
        try
        {
            var reader = new NbdStreamReader(stream);
            var negotiated = await new NbdHandshake(stream, reader, _exports).NegotiateAsync(cancellationToken).ConfigureAwait(false);
            if (negotiated is not null)
            {
                using var connection = new NbdConnection(stream, reader, negotiated, _budget, _options.MaxInFlightRequests);
                await connection.RunAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // One client's failure, whatever it is, must never take the server down — nor fail its stop, when a
            // client resets just as the server cancels its read.
            _options.ConnectionFailed?.Invoke(e);
        }
        finally
        {
            Interlocked.Decrement(ref _activeConnections);
        }
    }
}
