using Microsoft.Extensions.Logging;
using VirtualMedia.DBus;
using VirtualMedia.Service.Ejection;
using VirtualMedia.Service.Errors;

namespace VirtualMedia.Service.Bus;

/// <summary>
/// The host's power as phosphor-state-manager publishes it: <c>CurrentPowerState</c> of
/// <c>xyz.openbmc_project.State.Chassis</c> on <c>/xyz/openbmc_project/state/chassis0</c>. Read once per OnPowerOff
/// Mount; its PropertiesChanged raise <see cref="PoweredOff"/> when it becomes <c>…PowerState.Off</c>. Only the
/// chassis service's own signals count (its unique name, followed through NameOwnerChanged): another bus client
/// sending a look-alike signal straight to us cannot eject media.
/// </summary>
internal sealed class ChassisPower : IHostPower, IAsyncDisposable
{
    /// <summary>phosphor-state-manager's chassis bus name.</summary>
    public const string Service = "xyz.openbmc_project.State.Chassis";

    /// <summary>The first chassis's object.</summary>
    public const string Path = "/xyz/openbmc_project/state/chassis0";

    /// <summary>The interface holding <c>CurrentPowerState</c>.</summary>
    public const string Interface = "xyz.openbmc_project.State.Chassis";

    /// <summary>The power state property.</summary>
    public const string Property = "CurrentPowerState";

    /// <summary>The value of a powered-off chassis.</summary>
    public const string Off = "xyz.openbmc_project.State.Chassis.PowerState.Off";

    private const string BusName = "org.freedesktop.DBus";
    private const string PropertiesInterface = "org.freedesktop.DBus.Properties";
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(5);

    private readonly DBusConnection _connection;
    private readonly ILogger _logger;
    private readonly List<IAsyncDisposable> _matches = [];
    private volatile string? _owner;

    private ChassisPower(DBusConnection connection, ILogger logger)
    {
        _connection = connection;
        _logger = logger;
    }

    /// <inheritdoc />
    public event EventHandler? PoweredOff;

    /// <summary>Subscribes to the chassis's PropertiesChanged and to its owner's changes.</summary>
    public static async Task<ChassisPower> StartAsync(DBusConnection connection, ILogger logger, CancellationToken cancellationToken)
    {
        var power = new ChassisPower(connection, logger);
        try
        {
            power._matches.Add(await connection.AddMatchAsync(
                new MatchRule { Sender = BusName, Interface = BusName, Member = "NameOwnerChanged", Arg0 = Service },
                power.OnOwnerChanged,
                cancellationToken));
            power._matches.Add(await connection.AddMatchAsync(
                new MatchRule { Sender = Service, Path = Path, Interface = PropertiesInterface, Member = "PropertiesChanged", Arg0 = Interface },
                power.OnPropertiesChanged,
                cancellationToken));
            return power;
        }
        catch
        {
            await power.DisposeAsync();
            throw;
        }
    }

    /// <inheritdoc />
    public async Task<string> ReadAsync(CancellationToken cancellationToken)
    {
        var body = MessageBody.Create("ss");
        body.WriteString(Interface);
        body.WriteString(Property);
        try
        {
            using var reply = await _connection.CallMethodAsync(Service, Path, PropertiesInterface, "Get", body, ReadTimeout, cancellationToken);
            var reader = reply.GetReader();
            var signature = reader.ReadVariantSignature();
            var state = signature == "s" ? reader.ReadString() : throw new DBusException($"{Property} has type {signature}, not s");
            _owner = reply.Sender;
            return state;
        }
        catch (Exception e) when (e is DBusException or TimeoutException)
        {
            var reason = e is DBusErrorException { ErrorName: DBusErrorNames.ServiceUnknown or DBusErrorNames.NameHasNoOwner }
                ? $"no chassis state service ({Service}) is on the bus"
                : $"the chassis state service ({Service}) did not tell the power state: {e.Message}";
            throw new MediaException(VirtualMedia.Nbd.Errno.ENOTSUP, $"EjectPolicy OnPowerOff follows the host's power, but {reason}");
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var match in _matches)
        {
            try
            {
                await match.DisposeAsync();
            }
            catch (Exception e) when (e is DBusException or TimeoutException or ObjectDisposedException)
            {
                // The connection is going: the bus forgets the rule with it.
            }
        }
    }

    private void OnOwnerChanged(DBusMessage message)
    {
        if (message.Sender != BusName)
        {
            return;
        }

        var reader = message.GetReader();
        reader.ReadString();
        reader.ReadString();
        var owner = reader.ReadString();
        _owner = owner.Length > 0 ? owner : null;
    }

    private void OnPropertiesChanged(DBusMessage message)
    {
        if (message.Sender is null || message.Sender != _owner || message.Signature != "sa{sv}as")
        {
            return;
        }

        var reader = message.GetReader();
        reader.ReadString();
        var changed = (Dictionary<object, object>)reader.ReadValue("a{sv}");
        if (changed.TryGetValue(Property, out var value) && value is DBusVariant { Value: string state })
        {
            _logger.LogInformation("The host's power is now {State}", state);
            if (state == Off)
            {
                PoweredOff?.Invoke(this, EventArgs.Empty);
            }
        }
    }
}
