using VirtualMedia.DBus;

namespace VirtualMedia.Tests.Service.Ejection;

/// <summary>Stands in for phosphor-state-manager's chassis service on a test bus: CurrentPowerState, changed on demand.</summary>
internal sealed class ChassisStateStandIn : IAsyncDisposable
{
    public const string Name = "xyz.openbmc_project.State.Chassis";
    public const string Path = "/xyz/openbmc_project/state/chassis0";
    public const string On = "xyz.openbmc_project.State.Chassis.PowerState.On";
    public const string Off = "xyz.openbmc_project.State.Chassis.PowerState.Off";

    private readonly DBusConnection _connection;
    private readonly DBusObject _object;
    private string _state;

    private ChassisStateStandIn(DBusConnection connection, string state)
    {
        _connection = connection;
        _state = state;
        _object = connection.Objects.Register(Path, new DBusInterface(Name)
            .AddProperty("CurrentPowerState", "s", PropertyAccess.Read, v => v.WriteString(_state)));
    }

    /// <summary>Connects to <paramref name="address"/>, publishes the chassis with <paramref name="state"/> and owns the name.</summary>
    public static async Task<ChassisStateStandIn> StartAsync(string address, string state)
    {
        var connection = await DBusConnection.ConnectAsync(address);
        var standIn = new ChassisStateStandIn(connection, state);
        await connection.RequestNameAsync(Name);
        return standIn;
    }

    /// <summary>Changes the power state and announces it, as phosphor-state-manager does.</summary>
    public void SetPower(string state)
    {
        _state = state;
        _object.EmitPropertiesChanged(Name, ["CurrentPowerState"]);
    }

    public async ValueTask DisposeAsync()
    {
        _object.Dispose();
        await _connection.DisposeAsync();
    }
}
