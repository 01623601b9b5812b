namespace VirtualMedia.DBus;

/// <summary>Names and value writers of the standard interfaces every object answers.</summary>
internal static class StandardInterfaces
{
    public const string Peer = "org.freedesktop.DBus.Peer";
    public const string Introspectable = "org.freedesktop.DBus.Introspectable";
    public const string Properties = "org.freedesktop.DBus.Properties";
    public const string ObjectManager = "org.freedesktop.DBus.ObjectManager";

    public static void WritePropertyVariant(MessageBody body, DBusProperty property)
    {
        body.WriteVariantSignature(property.Signature);
        property.Getter!(body);
    }

    /// <summary>Writes <c>a{sv}</c> of every readable property of <paramref name="owner"/>.</summary>
    public static void WriteProperties(MessageBody body, DBusInterface owner)
    {
        var array = body.WriteArrayStart('{');
        foreach (var property in owner.Properties)
        {
            if (property.CanRead)
            {
                body.WriteStructStart();
                body.WriteString(property.Name);
                WritePropertyVariant(body, property);
            }
        }

        body.WriteArrayEnd(array);
    }

    /// <summary>Writes <c>a{sa{sv}}</c>: every interface of <paramref name="source"/> with its readable properties.</summary>
    public static void WriteInterfacesAndProperties(MessageBody body, DBusObject source)
    {
        var array = body.WriteArrayStart('{');
        foreach (var item in source.Interfaces)
        {
            body.WriteStructStart();
            body.WriteString(item.Name);
            WriteProperties(body, item);
        }

        body.WriteArrayEnd(array);
    }
}
