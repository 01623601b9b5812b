using Microsoft.Extensions.Logging;
using VirtualMedia.DBus;
using VirtualMedia.Service.Configuration;
using VirtualMedia.Service.Slots;
using Errno = VirtualMedia.Nbd.Errno;

namespace VirtualMedia.Service.Bus;

/// <summary>
/// A slot on D-Bus, exactly as bmcweb expects it (CONTRACT.md §1): MountPoint, Process and Stats
/// properties, the mode's Mount/Unmount/Completion, and PropertiesChanged for whatever changes.
/// </summary>
internal sealed class SlotObject : ISlotPublisher, IDisposable
{
    private readonly Slot _slot;
    private readonly ILogger _logger;
    private DBusObject? _object;

    /// <summary>Describes <paramref name="slot"/>'s object; <see cref="Register"/> publishes it.</summary>
    public SlotObject(Slot slot, ILogger logger)
    {
        _slot = slot;
        _logger = logger;
        Path = VirtualMediaNames.PathOf(slot.Configuration);
        // bmcweb walks the interfaces in this order and the last to set ConnectedVia wins: Process (Active: "Applet")
        // before MountPoint (ImageURL: "URI"), so a legacy URL mount reads URI and a proxy mount Applet (CONTRACT.md §1).
        // Transfer (legacy only) comes last, after every interface bmcweb reads.
        Interfaces =
        [
            PropertiesOf(VirtualMediaNames.Process), PropertiesOf(VirtualMediaNames.MountPoint),
            PropertiesOf(VirtualMediaNames.Stats), ModeInterface.For(slot, logger).Build(),
            PropertiesOf(VirtualMediaNames.EjectPolicy),
            .. slot.Configuration.Mode == SlotMode.Legacy
                ? [TransferInterface.Build(slot, logger, name => _object?.EmitPropertiesChanged(VirtualMediaNames.Transfer, [name]))]
                : Array.Empty<DBusInterface>(),
        ];
    }

    /// <summary>The slot this object shows.</summary>
    public Slot Slot => _slot;

    /// <summary>The object path.</summary>
    public string Path { get; }

    /// <summary>The slot's interfaces (five, six for a legacy slot), in the order introspection and GetManagedObjects list them.</summary>
    public IReadOnlyList<DBusInterface> Interfaces { get; }

    private SlotConfiguration Configuration => _slot.Configuration;

    /// <summary>Registers the object in <paramref name="tree"/> (under its ObjectManager).</summary>
    public void Register(DBusObjectTree tree) => _object = tree.Register(Path, [.. Interfaces]);

    /// <inheritdoc />
    public ValueTask PropertiesChangedAsync(SlotStatus before, SlotStatus after)
    {
        // One signal per interface, naming all of its properties that changed.
        var changed = SlotProperty.All
            .Where(p => p.Differs(Configuration, before, after) && Interfaces.Any(i => i.Name == p.Interface))
            .GroupBy(p => p.Interface);
        foreach (var properties in changed)
        {
            Emit(o => o.EmitPropertiesChanged(properties.Key, [.. properties.Select(p => p.Name)]));
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask CompletionAsync(Errno result)
    {
        Emit(o =>
        {
            var body = MessageBody.Create("i");
            body.WriteInt32((int)result);
            o.EmitSignal(VirtualMediaNames.ModeInterface(Configuration.Mode), "Completion", body);
        });
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public void Dispose() => _object?.Dispose();

    private void Emit(Action<DBusObject> emit)
    {
        if (_object is null)
        {
            return;
        }

        try
        {
            emit(_object);
        }
        catch (Exception e) when (e is DBusException or IOException or ObjectDisposedException)
        {
            _logger.LogError("{Slot}: could not publish a change on D-Bus: {Reason}", _slot.Name, e.Message);
        }
    }

    private DBusInterface PropertiesOf(string name)
    {
        var properties = new DBusInterface(name);
        foreach (var property in SlotProperty.All.Where(p => p.Interface == name))
        {
            property.AddTo(properties, _slot);
        }

        return properties;
    }
}
