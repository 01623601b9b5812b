using VirtualMedia.DBus;

namespace VirtualMedia.Tests.Service.Redfish;

/// <summary>
/// The Redfish VirtualMedia resource bmcweb builds from a slot's entry in GetManagedObjects: its template, then
/// each interface in the order the reply lists them, later writers of a member winning (bmcweb's vmParseInterfaceObject).
/// </summary>
public sealed record RedfishVirtualMedia
{
    public bool? Inserted { get; private init; }

    public string ConnectedVia { get; private init; } = "NotConnected";

    public string? Image { get; private init; }

    public string? ImageName { get; private init; }

    public string? TransferProtocolType { get; private init; }

    public bool WriteProtected { get; private init; } = true;

    public string? WebSocketEndpoint { get; private init; }

    /// <summary>Reads a GetManagedObjects reply in order and returns the resource of the object at <paramref name="path"/>.</summary>
    public static RedfishVirtualMedia FromManagedObjects(DBusMessage reply, string path)
    {
        var reader = reply.GetReader();
        var objects = reader.ReadArrayStart('{');
        while (reader.HasNext(objects))
        {
            reader.ReadStructStart();
            var objectPath = reader.ReadObjectPath();
            var interfaces = new List<(string Name, Dictionary<string, object> Properties)>();
            var interfacesEnd = reader.ReadArrayStart('{');
            while (reader.HasNext(interfacesEnd))
            {
                reader.ReadStructStart();
                var name = reader.ReadString();
                var properties = ((Dictionary<object, object>)reader.ReadValue("a{sv}"))
                    .ToDictionary(p => (string)p.Key, p => ((DBusVariant)p.Value).Value);
                interfaces.Add((name, properties));
            }

            if (objectPath == path)
            {
                return interfaces.Aggregate(new RedfishVirtualMedia(), (view, item) => view.Apply(item.Name, item.Properties));
            }
        }

        throw new InvalidOperationException($"{path} is not in the reply");
    }

    private RedfishVirtualMedia Apply(string interfaceName, Dictionary<string, object> properties)
    {
        var view = this;
        if (interfaceName == "xyz.openbmc_project.VirtualMedia.MountPoint")
        {
            if (properties.GetValueOrDefault("EndpointId") is string { Length: > 0 } endpoint)
            {
                view = view with { WebSocketEndpoint = endpoint, TransferProtocolType = "OEM" };
            }

            if (properties.GetValueOrDefault("ImageURL") is string { Length: > 0 } url)
            {
                view = view with
                {
                    Image = url,
                    ImageName = Path.GetFileName(url),
                    TransferProtocolType = ProtocolOf(url),
                    ConnectedVia = "URI",
                };
            }

            if (properties.GetValueOrDefault("WriteProtected") is bool writeProtected)
            {
                view = view with { WriteProtected = writeProtected };
            }
        }
        else if (interfaceName == "xyz.openbmc_project.VirtualMedia.Process"
            && properties.GetValueOrDefault("Active") is bool active)
        {
            view = view with { Inserted = active, ConnectedVia = active ? "Applet" : view.ConnectedVia };
        }

        return view;
    }

    private static string ProtocolOf(string url) =>
        url.StartsWith("smb://", StringComparison.Ordinal) ? "CIFS"
        : url.StartsWith("https://", StringComparison.Ordinal) ? "HTTPS"
        : "None";
}
