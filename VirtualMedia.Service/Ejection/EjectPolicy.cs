namespace VirtualMedia.Service.Ejection;

/// <summary>When a slot's media ejects itself (Redfish VirtualMedia <c>EjectPolicy</c>), besides InactivityTimeout.</summary>
/// <remarks>Public, unlike the service's other types: NUnit test cases take it as a parameter.</remarks>
public enum EjectPolicy
{
    /// <summary>Stays until unmounted (or idle for the InactivityTimeout): the original service's behaviour.</summary>
    Persistent,

    /// <summary>Ejected <c>EjectTimeout</c> seconds after it was inserted.</summary>
    Timed,

    /// <summary>Ejected when the host's chassis power turns off.</summary>
    OnPowerOff,

    /// <summary>A proxy slot's: the media ends with bmcweb's WebSocket session.</summary>
    Session,
}
