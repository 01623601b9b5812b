namespace VirtualMedia.Service.Ejection;

/// <summary>What happened to a slot without the operator asking: each is one phosphor-logging entry.</summary>
/// <remarks>Public, unlike the service's other types: NUnit test cases take it as a parameter.</remarks>
public enum SlotEventKind
{
    /// <summary>Ejected by the Timed policy, <c>EjectTimeout</c> seconds after insertion (informational).</summary>
    TimedEject,

    /// <summary>Ejected by the OnPowerOff policy: the host's chassis power turned off (informational).</summary>
    PowerOffEject,

    /// <summary>Ejected after no I/O for the InactivityTimeout (informational).</summary>
    InactivityEject,

    /// <summary>Ejected because the NBD client ended on its own (a failure).</summary>
    ClientExited,

    /// <summary>Ejected because the image source kept failing past its retry budget (a failure; issue 11.7 reports it).</summary>
    SourceFailed,

    /// <summary>A Mount answered <c>true</c>, then failed in the background (a failure).</summary>
    MountFailed,

    /// <summary>A Mount answered <c>true</c>, then did not finish within Timeout + 5 s (a failure; Completion EBUSY).</summary>
    MountTimedOut,

    /// <summary>Removing the media failed or did not finish in time (a failure).</summary>
    RemovalFailed,
}
