using VirtualMedia.Gadget.ConfigFs;
using VirtualMedia.Service.Ejection;
namespace VirtualMedia.Service.Configuration;

/// <summary>
/// Expands the compact form <c>{"ProxyMountPoints": P, "LegacyMountPoints": L}</c> into the slots the
/// original default file spells out: proxies first (<c>Slot_0</c>…), then legacy slots, device and socket numbered alike.
/// </summary>
internal static class CompactSlots
{
    /// <summary>The slots of <paramref name="proxies"/> proxy and <paramref name="legacies"/> legacy mount points.</summary>
    public static IEnumerable<SlotConfiguration> Expand(int proxies, int legacies, string socketDirectory)
    {
        for (var i = 0; i < proxies + legacies; i++)
        {
            var proxy = i < proxies;
            yield return new SlotConfiguration(
                $"Slot_{i}",
                proxy ? SlotMode.Proxy : SlotMode.Legacy,
                proxy ? $"/nbd/{i}" : string.Empty,
                $"nbd{i}",
                Path.Combine(socketDirectory, $"nbd{i}.sock"),
                proxy ? ConfigurationDefaults.ProxyTimeoutSeconds : ConfigurationDefaults.LegacyTimeoutSeconds,
                ConfigurationDefaults.BlockSize,
                MediaType.UsbStick,
                proxy ? EjectPolicy.Session : EjectPolicy.Persistent);
        }
    }
}
