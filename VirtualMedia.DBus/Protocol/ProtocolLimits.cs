namespace VirtualMedia.DBus;

/// <summary>Limits of the D-Bus specification that every arriving message is checked against.</summary>
public static class ProtocolLimits
{
    /// <summary>Largest message the specification allows (128 MiB).</summary>
    public const int MaxMessageSize = 128 * 1024 * 1024;

    /// <summary>Largest array body (64 MiB).</summary>
    public const int MaxArrayLength = 64 * 1024 * 1024;

    /// <summary>Longest signature (255 bytes).</summary>
    public const int MaxSignatureLength = 255;

    /// <summary>Deepest array nesting (32), and likewise struct nesting.</summary>
    public const int MaxContainerDepth = 32;

    /// <summary>Deepest total nesting of arrays, structs and variants (64).</summary>
    public const int MaxTotalDepth = 64;

    /// <summary>Longest bus, interface, member or error name (255).</summary>
    public const int MaxNameLength = 255;
}
