using VirtualMedia.DBus;
using VirtualMedia.Service.Configuration;
using VirtualMedia.Service.Slots;
using static VirtualMedia.Service.Bus.VirtualMediaNames;

namespace VirtualMedia.Service.Bus;

/// <summary>One D-Bus property of a slot: its interface, name, signature and where its value comes from.</summary>
/// <remarks>
/// <see cref="All"/> is the only list of a slot's properties: <see cref="SlotObject"/> registers from it and diffs
/// statuses with it, so a property cannot be published without being announced when it changes, or the reverse.
/// </remarks>
internal sealed record SlotProperty(
    string Interface, string Name, string Signature, Func<SlotConfiguration, SlotStatus, object> Value, bool Changes)
{
    /// <summary>
    /// Every property, each interface's in the order introspection lists them (dbus/xyz.openbmc_project.VirtualMedia.xml).
    /// The interfaces come in the order their PropertiesChanged signals go out; the order they are published in is
    /// <see cref="SlotObject"/>'s.
    /// </summary>
    public static IReadOnlyList<SlotProperty> All { get; } =
    [
        Fixed(MountPoint, "EndpointId", "s", c => c.EndpointId),
        Fixed(MountPoint, "Mode", "y", c => (byte)c.Mode),
        Fixed(MountPoint, "Device", "s", c => c.NbdDevice),
        Fixed(MountPoint, "Socket", "s", c => c.UnixSocket),
        Fixed(MountPoint, "Timeout", "q", c => c.TimeoutSeconds),
        Fixed(MountPoint, "BlockSize", "q", c => c.BlockSize),
        Current(MountPoint, "RemainingInactivityTimeout", "q", s => s.RemainingInactivityTimeout),
        Current(MountPoint, "ImageURL", "s", s => s.ImageUrl),
        Current(MountPoint, "WriteProtected", "b", s => s.WriteProtected),
        Current(Process, "Active", "b", s => s.Active),
        Current(Process, "ExitCode", "i", s => s.ExitCode),
        Current(Stats, "ReadIO", "t", s => s.ReadIO),
        Current(Stats, "WriteIO", "t", s => s.WriteIO),
        Fixed(EjectPolicy, "Policy", "s", c => c.EjectPolicy.ToString()),
        Fixed(EjectPolicy, "EjectTimeout", "q", c => c.EjectTimeoutSeconds),
        Current(EjectPolicy, "RemainingEjectTimeout", "q", s => s.RemainingEjectTimeout),
        Current(Transfer, "BytesCopied", "t", s => (ulong)s.Transfer.BytesCopied),
        Current(Transfer, "Size", "t", s => (ulong)s.Transfer.Size),
        Current(Transfer, "Complete", "b", s => s.Transfer.Complete),
    ];

    /// <summary>Whether the value differs between <paramref name="before"/> and <paramref name="after"/>.</summary>
    public bool Differs(SlotConfiguration configuration, SlotStatus before, SlotStatus after) =>
        Changes && !Equals(Value(configuration, before), Value(configuration, after));

    /// <summary>Adds the property to <paramref name="target"/>, read from <paramref name="slot"/> whenever it is asked for.</summary>
    public void AddTo(DBusInterface target, Slot slot) => target.AddProperty(
        Name,
        Signature,
        PropertyAccess.Read,
        body => DBusValue.Write(body, Signature, Value(slot.Configuration, slot.Status)),
        emitsChangedSignal: Changes ? EmitsChangedSignal.True : EmitsChangedSignal.Const);

    /// <summary>A property of the configuration: it never changes while the object exists.</summary>
    private static SlotProperty Fixed(string @interface, string name, string signature, Func<SlotConfiguration, object> value) =>
        new(@interface, name, signature, (configuration, _) => value(configuration), Changes: false);

    /// <summary>A property of the status, announced by PropertiesChanged whenever it changes.</summary>
    private static SlotProperty Current(string @interface, string name, string signature, Func<SlotStatus, object> value) =>
        new(@interface, name, signature, (_, status) => value(status), Changes: true);
}
