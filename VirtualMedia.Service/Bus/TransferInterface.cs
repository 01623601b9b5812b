using Microsoft.Extensions.Logging;
using VirtualMedia.DBus;
using VirtualMedia.Service.Configuration;
using VirtualMedia.Service.Slots;

namespace VirtualMedia.Service.Bus;

/// <summary>
/// xyz.openbmc_project.VirtualMedia.Transfer of a legacy slot: <c>Method</c> (<c>"Stream"</c> or <c>"Upload"</c>),
/// which root may set and which the next Mount uses, then the copy's progress from <see cref="SlotProperty.All"/>.
/// </summary>
/// <remarks>Only root may set it: the bus policy (systemd/xyz.openbmc_project.VirtualMedia.conf) lets other users
/// call nothing but Get, GetAll, Introspect and Peer, so their Set is refused by the bus with AccessDenied.</remarks>
internal static class TransferInterface
{
    /// <summary>The interface for <paramref name="slot"/>; <paramref name="changed"/> announces a new Method.</summary>
    public static DBusInterface Build(Slot slot, ILogger logger, Action<string> changed)
    {
        var transfer = new DBusInterface(VirtualMediaNames.Transfer).AddProperty(
            "Method",
            "s",
            PropertyAccess.ReadWrite,
            body => body.WriteString(slot.TransferMethod.ToString()),
            value => Set(slot, value.ReadString(), logger, changed));
        foreach (var property in SlotProperty.All.Where(p => p.Interface == VirtualMediaNames.Transfer))
        {
            property.AddTo(transfer, slot);
        }

        return transfer;
    }

    private static void Set(Slot slot, string text, ILogger logger, Action<string> changed)
    {
        var method = text switch
        {
            nameof(TransferMethod.Stream) => TransferMethod.Stream,
            nameof(TransferMethod.Upload) => TransferMethod.Upload,
            _ => throw new DBusErrnoException(
                Errno.EINVAL, $"\"{Excerpt(text)}\" is not a transfer method: use \"Stream\" or \"Upload\""),
        };
        if (slot.TransferMethod == method)
        {
            return;
        }

        slot.TransferMethod = method;
        logger.LogInformation("{Slot}: TransferMethod set to {Method}: it applies from the next Mount", slot.Name, method);
        changed("Method");
    }

    private static string Excerpt(string text) => text.Length <= 64 ? text : text[..64] + "…";
}
