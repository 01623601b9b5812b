namespace VirtualMedia.Service.Shares;

/// <summary>Where and how shares are mounted.</summary>
internal sealed class ShareMounterOptions
{
    /// <summary>The runtime directory; each slot mounts under <c>&lt;Root&gt;/&lt;Slot&gt;/share</c>, everything 0700.</summary>
    public string Root { get; init; } = "/run/virtual-media";

    /// <summary>How long resolving the server's host name may take.</summary>
    public TimeSpan ResolveTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
