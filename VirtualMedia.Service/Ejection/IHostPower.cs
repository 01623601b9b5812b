namespace VirtualMedia.Service.Ejection;

/// <summary>The host's chassis power, as the OnPowerOff eject policy follows it.</summary>
internal interface IHostPower
{
    /// <summary>Raised when the chassis power becomes off (on a thread of its own; keep handlers short).</summary>
    event EventHandler? PoweredOff;

    /// <summary>Reads the current power state; a D-Bus ENOTSUP error when no chassis state service answers.</summary>
    Task<string> ReadAsync(CancellationToken cancellationToken);
}
