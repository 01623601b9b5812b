namespace VirtualMedia.Service.Configuration;

/// <summary>Everything <c>/etc/virtual-media.json</c> says, validated.</summary>
internal sealed record ServiceConfiguration
{
    /// <summary>Seconds without I/O after which an active slot is ejected; 0 disables it.</summary>
    public required uint InactivityTimeoutSeconds { get; init; }

    /// <summary>Accept <c>http://</c> images (testing only).</summary>
    public bool AllowHttp { get; init; }

    /// <summary>Verify the image server's TLS certificate.</summary>
    public bool VerifyCertificates { get; init; } = true;

    /// <summary>Trusted roots instead of the system store, or null for the system store.</summary>
    public string? CaDirectory { get; init; }

    /// <summary>Where <c>file://</c> images may live.</summary>
    public string ImageDirectory { get; init; } = ConfigurationDefaults.ImageDirectory;

    /// <summary>Read-ahead/cache memory per active slot, in MiB.</summary>
    public int CacheMiB { get; init; } = ConfigurationDefaults.CacheMiB;

    /// <summary>NBD request buffers of one legacy slot's server, in MiB; null derives it from <see cref="CacheMiB"/>.</summary>
    public int? NbdBufferMiB { get; init; }

    /// <summary>The NBD buffer budget in effect for each legacy slot's server, in bytes.</summary>
    public long NbdBufferBytes => (NbdBufferMiB ?? ConfigurationDefaults.NbdBufferMiB(CacheMiB)) * 1024L * 1024;

    /// <summary>Seconds a web image's server may stay unreachable while the host's reads wait; then the slot is ejected.</summary>
    public int SourceOutageSeconds { get; init; } = ConfigurationDefaults.SourceOutageSeconds;

    /// <summary>MiB of <see cref="ImageDirectory"/>'s file system an Upload copy leaves free.</summary>
    public int UploadReserveMiB { get; init; } = ConfigurationDefaults.UploadReserveMiB;

    /// <summary>Root of the sandboxed kernel side, or null on a real BMC.</summary>
    public string? Sandbox { get; init; }

    /// <summary>The slots, in configuration order.</summary>
    public required IReadOnlyList<SlotConfiguration> Slots { get; init; }
}
