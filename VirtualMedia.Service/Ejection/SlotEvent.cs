using System.Globalization;
using System.Runtime.InteropServices;
using VirtualMedia.Nbd;

namespace VirtualMedia.Service.Ejection;

/// <summary>
/// One event of a slot the operator did not ask for, worded for Redfish's event log: the slot, the image URL
/// without credentials, what happened and the errno's meaning.
/// </summary>
/// <param name="Slot">The slot's name.</param>
/// <param name="Url">The image URL as logged (credentials and query removed), or a proxy slot's socket.</param>
/// <param name="Kind">What happened.</param>
/// <param name="Errno">The errno of a failure; <see cref="Errno.None"/> for an ejection by policy or inactivity.</param>
/// <param name="Detail">A few words more (an exit code, a number of seconds), or null.</param>
internal sealed record SlotEvent(string Slot, string Url, SlotEventKind Kind, Errno Errno, string? Detail = null)
{
    /// <summary>False for an ejection the configuration asked for (policy, inactivity); true for every failure.</summary>
    public bool IsFailure => Kind is not (SlotEventKind.TimedEject or SlotEventKind.PowerOffEject or SlotEventKind.InactivityEject);

    /// <summary>The entry's message: one sentence an operator can act on.</summary>
    public string Message
    {
        get
        {
            var what = Kind switch
            {
                SlotEventKind.TimedEject => $"ejected {Url}: its eject policy is Timed",
                SlotEventKind.PowerOffEject => $"ejected {Url}: the host powered off and its eject policy is OnPowerOff",
                SlotEventKind.InactivityEject => $"ejected {Url}: no I/O for the InactivityTimeout",
                SlotEventKind.ClientExited => $"ejected {Url}: the NBD client ended",
                SlotEventKind.SourceFailed => $"ejected {Url}: the image source kept failing",
                SlotEventKind.MountFailed => $"mounting {Url} failed",
                SlotEventKind.MountTimedOut => $"mounting {Url} did not finish in time",
                _ => $"removing {Url} failed",
            };
            var detail = Detail is null ? string.Empty : $" ({Detail})";
            var meaning = Errno == Errno.None ? string.Empty : string.Create(CultureInfo.InvariantCulture, $": {Marshal.GetPInvokeErrorMessage((int)Errno)} (errno {(int)Errno})");
            return $"Virtual media {Slot}: {what}{detail}{meaning}";
        }
    }
}
