namespace VirtualMedia.Service.Configuration;

/// <summary>The values the original service's default file uses, shared by the compact form and defaults.</summary>
public static class ConfigurationDefaults
{
    /// <summary>Where the service reads its configuration unless told otherwise.</summary>
    public const string ConfigurationFile = "/etc/virtual-media.json";

    /// <summary>Where <c>file://</c> images may live.</summary>
    public const string ImageDirectory = "/var/lib/virtual-media/images";

    /// <summary>Directory of the slot sockets on a BMC.</summary>
    public const string SocketDirectory = "/run/virtual-media";

    /// <summary>Cache memory per active slot: a few MiB, sized for a BMC.</summary>
    public const int CacheMiB = 16;

    /// <summary>Inactivity timeout of the original default file, in seconds.</summary>
    public const uint InactivityTimeoutSeconds = 1800;

    /// <summary>NBD client timeout of a proxy slot in the original default file.</summary>
    public const ushort ProxyTimeoutSeconds = 30;

    /// <summary>NBD client timeout of a legacy slot in the original default file.</summary>
    public const ushort LegacyTimeoutSeconds = 90;

    /// <summary>Block size of every slot in the original default file.</summary>
    public const ushort BlockSize = 512;
}
