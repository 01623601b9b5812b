using VirtualMedia.Gadget.ConfigFs;
using VirtualMedia.Service.Ejection;

namespace VirtualMedia.Service.Configuration;

/// <summary>One entry of <c>MountPoints</c>: a slot, its NBD device and its socket.</summary>
/// <param name="Name">The key in the configuration (<c>Slot_0</c>), also the last element of the object path.</param>
/// <param name="Mode">Proxy or legacy.</param>
/// <param name="EndpointId">bmcweb's WebSocket endpoint for a proxy slot (<c>/nbd/0</c>); empty for legacy.</param>
/// <param name="NbdDevice">The NBD device name without <c>/dev/</c> (<c>nbd0</c>).</param>
/// <param name="UnixSocket">The slot's unix socket.</param>
/// <param name="TimeoutSeconds">Seconds given to the NBD client to connect and to answer.</param>
/// <param name="BlockSize">Block size given to the NBD client.</param>
/// <param name="MediaType">USB stick or CD.</param>
/// <param name="EjectPolicy">When the media ejects itself: Persistent, Timed or OnPowerOff (legacy); Session (proxy).</param>
/// <param name="EjectTimeoutSeconds">Seconds from insertion to ejection under <see cref="EjectPolicy.Timed"/>; 0 otherwise.</param>
/// <param name="TransferMethod">How a legacy slot's web image reaches the host at first: streamed, or copied to BMC storage.</param>
internal sealed record SlotConfiguration(
    string Name,
    SlotMode Mode,
    string EndpointId,
    string NbdDevice,
    string UnixSocket,
    ushort TimeoutSeconds,
    ushort BlockSize,
    MediaType MediaType,
    EjectPolicy EjectPolicy = EjectPolicy.Persistent,
    ushort EjectTimeoutSeconds = 0,
    TransferMethod TransferMethod = TransferMethod.Stream);
