using Microsoft.Extensions.Logging;
using VirtualMedia.DBus;
using VirtualMedia.Service.Configuration;
using VirtualMedia.Service.Errors;
using VirtualMedia.Service.Slots;

namespace VirtualMedia.Service.Bus;

/// <summary>The interface of a slot's mode: its own Mount, and the Unmount and Completion both modes share.</summary>
internal abstract class ModeInterface
{
    /// <summary>Serves the mode's methods for <paramref name="slot"/>.</summary>
    protected ModeInterface(Slot slot) => Slot = slot;

    /// <summary>The slot the methods act on.</summary>
    protected Slot Slot { get; }

    /// <summary>The interface for <paramref name="slot"/>'s mode (<see cref="SlotConfiguration.Mode"/>).</summary>
    public static ModeInterface For(Slot slot, ILogger logger) =>
        slot.Configuration.Mode == SlotMode.Legacy ? new LegacyModeInterface(slot, logger) : new ProxyModeInterface(slot);

    /// <summary>Describes the interface: Mount, then Unmount and Completion.</summary>
    public DBusInterface Build() => AddMount(new DBusInterface(VirtualMediaNames.ModeInterface(Slot.Configuration.Mode)))
        .AddMethod("Unmount", string.Empty, "b", Answering(UnmountAsync), [], ["Result"])
        .AddSignal("Completion", "i", "Result");

    /// <summary>The reply every method gives once it has done its part: <c>true</c>.</summary>
    protected static MessageBody True()
    {
        var reply = MethodCall.CreateReply("b");
        reply.WriteBool(true);
        return reply;
    }

    /// <summary>
    /// <paramref name="handler"/> with the domain's refusals made D-Bus errors: the one place a
    /// <see cref="MediaException"/> becomes the errno-named error sd-bus clients read back.
    /// </summary>
    protected static MethodHandler Answering(MethodHandler handler) => async (call, cancellationToken) =>
    {
        try
        {
            return await handler(call, cancellationToken);
        }
        catch (MediaException e)
        {
            throw new DBusErrnoException((int)e.Errno, e.Message);
        }
    };

    /// <summary>Adds the mode's Mount method (or methods) to <paramref name="modeInterface"/>.</summary>
    protected abstract DBusInterface AddMount(DBusInterface modeInterface);

    private async ValueTask<MessageBody?> UnmountAsync(MethodCall call, CancellationToken cancellationToken)
    {
        await Slot.UnmountAsync();
        return True();
    }
}
