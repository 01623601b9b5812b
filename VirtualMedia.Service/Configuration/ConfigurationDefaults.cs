namespace VirtualMedia.Service.Configuration;

/// <summary>The values the original service's default file uses, shared by the compact form and defaults.</summary>
internal static class ConfigurationDefaults
{
    /// <summary>Where the service reads its configuration unless told otherwise.</summary>
    public const string ConfigurationFile = "/etc/virtual-media.json";

    /// <summary>Where <c>file://</c> images may live.</summary>
    public const string ImageDirectory = "/var/lib/virtual-media/images";

    /// <summary>Directory of the slot sockets on a BMC.</summary>
    public const string SocketDirectory = "/run/virtual-media";

    /// <summary>Cache memory per active slot: a few MiB, sized for a BMC.</summary>
    /// <remarks>8 since the read-ahead streams long GETs (the connection holds what is ahead of the window): on
    /// bench/nbd 16 MiB read no faster at loopback, 20 or 100 ms, and cost 7–8 MiB more resident memory.</remarks>
    public const int CacheMiB = 8;

    /// <summary>The smallest NBD buffer budget: one request of the largest size the server accepts (32 MiB).</summary>
    public const int MinimumNbdBufferMiB = 32;

    /// <summary>NBD request buffers a legacy slot's server may hold, in MiB, unless <c>NbdBufferMiB</c> says otherwise.</summary>
    /// <remarks>
    /// At least 48: one request of the largest size clients may send without asking (32 MiB, the NBD spec's default
    /// maximum, which the kernel's nbd driver can reach) plus 16 MiB so ordinary requests go on beside it (the kernel
    /// sends at most 8 in flight of max_sectors_kb, 1.25 MiB by default: 10 MiB). Twice the cache above that: requests
    /// in flight are filled from the read-ahead cache, so a larger cache (a faster link) deserves more in flight. At
    /// the default CacheMiB of 8 that is 48 MiB per active legacy slot, a bound reached only under load.
    /// </remarks>
    public static int NbdBufferMiB(int cacheMiB) => Math.Max(2 * cacheMiB, 48);

    /// <summary>Seconds a web image's server may stay unreachable before its slot is ejected.</summary>
    /// <remarks>
    /// Long enough for a link blip or a server restart to pass unnoticed by an installer (its reads just wait), short
    /// enough that no read waits longer than the host's SCSI command timeout (30 s on Linux and Windows), after which
    /// the host resets the USB device and may give the disk up.
    /// </remarks>
    public const int SourceOutageSeconds = 20;

    /// <summary>MiB an Upload copy leaves free in the image directory's file system, for logs and whatever else shares it.</summary>
    public const int UploadReserveMiB = 64;

    /// <summary>Inactivity timeout of the original default file, in seconds.</summary>
    public const uint InactivityTimeoutSeconds = 1800;

    /// <summary>NBD client timeout of a proxy slot in the original default file.</summary>
    public const ushort ProxyTimeoutSeconds = 30;

    /// <summary>NBD client timeout of a legacy slot in the original default file.</summary>
    public const ushort LegacyTimeoutSeconds = 90;

    /// <summary>Block size of every slot in the original default file.</summary>
    public const ushort BlockSize = 512;
}
