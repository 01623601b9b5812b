using VirtualMedia.DBus;
using VirtualMedia.Service.Slots;

namespace VirtualMedia.Service.Bus;

/// <summary>xyz.openbmc_project.VirtualMedia.Proxy: Mount takes no arguments, the image comes over the slot's socket.</summary>
internal sealed class ProxyModeInterface : ModeInterface
{
    /// <summary>Serves the proxy Mount for <paramref name="slot"/>.</summary>
    public ProxyModeInterface(Slot slot)
        : base(slot)
    {
    }

    /// <inheritdoc />
    protected override DBusInterface AddMount(DBusInterface modeInterface) =>
        modeInterface.AddMethod("Mount", string.Empty, "b", Answering(MountAsync), [], ["Result"]);

    private async ValueTask<MessageBody?> MountAsync(MethodCall call, CancellationToken cancellationToken)
    {
        await Slot.MountProxyAsync(call.Answered);
        return True();
    }
}
