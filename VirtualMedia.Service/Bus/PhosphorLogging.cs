using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using VirtualMedia.DBus;
using VirtualMedia.Service.Ejection;

namespace VirtualMedia.Service.Bus;

/// <summary>
/// Puts a slot's events into phosphor-logging (<c>xyz.openbmc_project.Logging.Create.Create</c>), from which bmcweb
/// serves Redfish's event log. Fire-and-forget: an event is queued at once (a bounded queue; a full one drops it),
/// one call at a time is made with a short timeout and never retried, so an absent or hung logging service costs a
/// warning line, never a slot's time.
/// </summary>
internal sealed class PhosphorLogging : ISlotEvents, IAsyncDisposable
{
    /// <summary>phosphor-logging's bus name.</summary>
    public const string Service = "xyz.openbmc_project.Logging";

    /// <summary>The object that creates entries.</summary>
    public const string Path = "/xyz/openbmc_project/logging";

    /// <summary>The interface of <c>Create(s Message, s Severity, a{ss} AdditionalData)</c>.</summary>
    public const string Interface = "xyz.openbmc_project.Logging.Create";

    /// <summary>Severity of a failure, as phosphor-logging spells its levels.</summary>
    public const string Error = "xyz.openbmc_project.Logging.Entry.Level.Error";

    /// <summary>Severity of an ejection the configuration asked for.</summary>
    public const string Informational = "xyz.openbmc_project.Logging.Entry.Level.Informational";

    private const int QueueLength = 32;
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan DrainTimeout = CallTimeout;

    private readonly DBusConnection _connection;
    private readonly ILogger _logger;
    private readonly Channel<SlotEvent> _queue = Channel.CreateBounded<SlotEvent>(
        new BoundedChannelOptions(QueueLength) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pump;
    private bool _unreachable;

    /// <summary>Starts sending the events reported from now on over <paramref name="connection"/>.</summary>
    public PhosphorLogging(DBusConnection connection, ILogger logger)
    {
        _connection = connection;
        _logger = logger;
        _pump = PumpAsync(_stop.Token);
    }

    /// <inheritdoc />
    public void Report(SlotEvent slotEvent)
    {
        if (!_queue.Writer.TryWrite(slotEvent))
        {
            _logger.LogWarning("{Slot}: phosphor-logging is not keeping up: event not recorded in the event log: {Message}", slotEvent.Slot, slotEvent.Message);
        }
    }

    /// <summary>The arguments of the Create call for <paramref name="slotEvent"/>.</summary>
    public static (string Message, string Severity, Dictionary<string, string> AdditionalData) EntryOf(SlotEvent slotEvent)
    {
        ArgumentNullException.ThrowIfNull(slotEvent);
        return (slotEvent.Message, slotEvent.IsFailure ? Error : Informational, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["SLOT"] = slotEvent.Slot,
            ["URL"] = slotEvent.Url,
            ["ERRNO"] = ((int)slotEvent.Errno).ToString(CultureInfo.InvariantCulture),
            ["REASON"] = slotEvent.Kind.ToString(),
        });
    }

    /// <summary>Sends what is queued within a few seconds, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        _stop.CancelAfter(DrainTimeout);
        await _pump;
        _stop.Dispose();
    }

    private async Task PumpAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var slotEvent in _queue.Reader.ReadAllAsync(cancellationToken))
            {
                await CreateAsync(slotEvent, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping with events still queued: the journal has their lines.
        }
    }

    private async Task CreateAsync(SlotEvent slotEvent, CancellationToken cancellationToken)
    {
        try
        {
            var (message, severity, additionalData) = EntryOf(slotEvent);
            var body = MessageBody.Create("ssa{ss}");
            body.WriteString(message);
            body.WriteString(severity);
            DBusValue.Write(body, "a{ss}", additionalData);
            using var reply = await _connection.CallMethodAsync(Service, Path, Interface, "Create", body, CallTimeout, cancellationToken);
            if (_unreachable)
            {
                _unreachable = false;
                _logger.LogInformation("phosphor-logging takes events again");
            }
        }
        catch (Exception e) when (e is DBusException or TimeoutException or ObjectDisposedException)
        {
            // Said once, not per event, until it works again: the events' own lines are in the journal anyway.
            if (!_unreachable)
            {
                _unreachable = true;
                _logger.LogWarning("{Slot}: cannot create an event log entry ({Reason}); the journal keeps the events", slotEvent.Slot, e.Message);
            }
        }
    }
}
