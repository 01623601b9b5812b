namespace VirtualMedia.Service.Configuration;

/// <summary>How a legacy slot's web image reaches the host (Redfish VirtualMedia <c>TransferMethod</c>).</summary>
internal enum TransferMethod
{
    /// <summary>Every read the host makes is fetched from the image server (through the cache).</summary>
    Stream,

    /// <summary>The image is copied to BMC storage while it is served; once copied, the server is no longer needed.</summary>
    Upload,
}
