using Microsoft.Extensions.Logging;
using VirtualMedia.DBus;
using VirtualMedia.Service.Ejection;
using VirtualMedia.Service.Slots;

namespace VirtualMedia.Service.Bus;

/// <summary>The service on the system bus: the ObjectManager, one object per slot, then the well-known name.</summary>
internal sealed class VirtualMediaBus : IAsyncDisposable
{
    private readonly DBusConnection _connection;
    private readonly List<SlotObject> _objects;
    private readonly ChassisPower _power;
    private readonly PhosphorLogging _events;

    private VirtualMediaBus(DBusConnection connection, List<SlotObject> objects, ChassisPower power, PhosphorLogging events)
    {
        _connection = connection;
        _objects = objects;
        _power = power;
        _events = events;
    }

    /// <summary>The system bus's address (DBUS_SYSTEM_BUS_ADDRESS or the standard socket).</summary>
    public static string SystemBusAddress => DBusAddress.SystemBus;

    /// <summary>Completes when the bus connection ends (faulted when it was lost).</summary>
    public Task Completion => _connection.Completion;

    /// <summary>Where each slot publishes its changes: its object.</summary>
    public ISlotPublisher PublisherOf(Slot slot) => _objects.First(o => ReferenceEquals(o.Slot, slot));

    /// <summary>Where slots report what the operator did not ask for: phosphor-logging.</summary>
    public ISlotEvents Events => _events;

    /// <summary>The host's power state, for OnPowerOff slots.</summary>
    public IHostPower Power => _power;

    /// <summary>
    /// Connects to the system bus and registers the ObjectManager and every slot's object; the name comes
    /// later (<see cref="OwnNameAsync"/>), once the slots are started, so whoever sees the name finds every object working.
    /// A bus that refuses us is an <see cref="IOException"/>: D-Bus's own errors stay in this layer.
    /// </summary>
    public static async Task<VirtualMediaBus> ConnectAsync(IReadOnlyList<Slot> slots, ILogger logger, CancellationToken cancellationToken)
    {
        DBusConnection connection;
        try
        {
            connection = await DBusConnection.ConnectSystemBusAsync(cancellationToken: cancellationToken);
        }
        catch (DBusException e)
        {
            throw new IOException(e.Message, e);
        }

        ChassisPower? power = null;
        PhosphorLogging? events = null;
        try
        {
            power = await ChassisPower.StartAsync(connection, logger, cancellationToken);
            events = new PhosphorLogging(connection, logger);
            connection.Objects.AddObjectManager(VirtualMediaNames.Root);
            // A handler's unexpected exception is a bug of ours: the caller only gets Failed, so the journal must say it.
            // Its message is left out, as it may carry what a URL or secret held.
            connection.Objects.HandlerFailed += (_, failure) => logger.LogError(
                "{Path}: {Interface}.{Member} failed with {Exception}",
                failure.Path, failure.Interface, failure.Member, failure.Exception.GetType().Name);
            var objects = new List<SlotObject>(slots.Count);
            foreach (var slot in slots)
            {
                var slotObject = new SlotObject(slot, logger);
                slotObject.Register(connection.Objects);
                objects.Add(slotObject);
            }

            return new VirtualMediaBus(connection, objects, power, events);
        }
        catch (Exception e)
        {
            if (events is not null)
            {
                await events.DisposeAsync();
            }

            if (power is not null)
            {
                await power.DisposeAsync();
            }

            await connection.DisposeAsync();
            if (e is DBusException)
            {
                throw new IOException(e.Message, e);
            }

            throw;
        }
    }

    /// <summary>Owns the service's well-known name: from now on bmcweb finds the slots.</summary>
    public async Task OwnNameAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _connection.RequestNameAsync(VirtualMediaNames.Service, cancellationToken: cancellationToken);
        }
        catch (DBusException e)
        {
            throw new IOException(e.Message, e);
        }
    }

    /// <summary>Sends the events still queued, gives up the name, unregisters the objects and closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        await _events.DisposeAsync();
        await _power.DisposeAsync();
        try
        {
            await _connection.ReleaseNameAsync(VirtualMediaNames.Service);
        }
        catch (Exception e) when (e is DBusException or TimeoutException or ObjectDisposedException)
        {
            // The connection is already gone; the bus drops the name with it.
        }

        foreach (var slotObject in _objects)
        {
            slotObject.Dispose();
        }

        await _connection.DisposeAsync();
    }
}
