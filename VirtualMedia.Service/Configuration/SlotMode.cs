namespace VirtualMedia.Service.Configuration;

/// <summary>How a slot gets its image: the numbers are the original configuration's <c>Mode</c> values.</summary>
internal enum SlotMode
{
    /// <summary>bmcweb relays the image from the browser to the slot's socket.</summary>
    Proxy = 0,

    /// <summary>The BMC fetches the image itself from a URL.</summary>
    Legacy = 1,
}
