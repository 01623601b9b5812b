using System.Security;
using System.Text;

namespace VirtualMedia.DBus;

/// <summary>Builds introspection XML deterministically from a <see cref="DBusObjectTree"/>.</summary>
/// <remarks>Standard interfaces first, then the object's interfaces and members in registration order, then child nodes sorted.</remarks>
internal static class Introspector
{
    private const string Header =
        "<!DOCTYPE node PUBLIC \"-//freedesktop//DTD D-BUS Object Introspection 1.0//EN\"\n" +
        " \"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd\">\n";

    private const string PeerXml =
        " <interface name=\"org.freedesktop.DBus.Peer\">\n" +
        "  <method name=\"Ping\"/>\n" +
        "  <method name=\"GetMachineId\">\n" +
        "   <arg type=\"s\" name=\"machine_uuid\" direction=\"out\"/>\n" +
        "  </method>\n" +
        " </interface>\n";

    private const string IntrospectableXml =
        " <interface name=\"org.freedesktop.DBus.Introspectable\">\n" +
        "  <method name=\"Introspect\">\n" +
        "   <arg type=\"s\" name=\"xml_data\" direction=\"out\"/>\n" +
        "  </method>\n" +
        " </interface>\n";

    private const string PropertiesXml =
        " <interface name=\"org.freedesktop.DBus.Properties\">\n" +
        "  <method name=\"Get\">\n" +
        "   <arg type=\"s\" name=\"interface_name\" direction=\"in\"/>\n" +
        "   <arg type=\"s\" name=\"property_name\" direction=\"in\"/>\n" +
        "   <arg type=\"v\" name=\"value\" direction=\"out\"/>\n" +
        "  </method>\n" +
        "  <method name=\"GetAll\">\n" +
        "   <arg type=\"s\" name=\"interface_name\" direction=\"in\"/>\n" +
        "   <arg type=\"a{sv}\" name=\"props\" direction=\"out\"/>\n" +
        "  </method>\n" +
        "  <method name=\"Set\">\n" +
        "   <arg type=\"s\" name=\"interface_name\" direction=\"in\"/>\n" +
        "   <arg type=\"s\" name=\"property_name\" direction=\"in\"/>\n" +
        "   <arg type=\"v\" name=\"value\" direction=\"in\"/>\n" +
        "  </method>\n" +
        "  <signal name=\"PropertiesChanged\">\n" +
        "   <arg type=\"s\" name=\"interface_name\"/>\n" +
        "   <arg type=\"a{sv}\" name=\"changed_properties\"/>\n" +
        "   <arg type=\"as\" name=\"invalidated_properties\"/>\n" +
        "  </signal>\n" +
        " </interface>\n";

    private const string ObjectManagerXml =
        " <interface name=\"org.freedesktop.DBus.ObjectManager\">\n" +
        "  <method name=\"GetManagedObjects\">\n" +
        "   <arg type=\"a{oa{sa{sv}}}\" name=\"object_paths_interfaces_and_properties\" direction=\"out\"/>\n" +
        "  </method>\n" +
        "  <signal name=\"InterfacesAdded\">\n" +
        "   <arg type=\"o\" name=\"object_path\"/>\n" +
        "   <arg type=\"a{sa{sv}}\" name=\"interfaces_and_properties\"/>\n" +
        "  </signal>\n" +
        "  <signal name=\"InterfacesRemoved\">\n" +
        "   <arg type=\"o\" name=\"object_path\"/>\n" +
        "   <arg type=\"as\" name=\"interfaces\"/>\n" +
        "  </signal>\n" +
        " </interface>\n";

    public static string? Introspect(DBusObjectTree tree, string path)
    {
        var target = tree.Find(path);
        var prefix = path == "/" ? "/" : path + "/";
        var children = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var item in tree.Objects)
        {
            if (item.Path.StartsWith(prefix, StringComparison.Ordinal) && item.Path.Length > prefix.Length)
            {
                var rest = item.Path.AsSpan(prefix.Length);
                var slash = rest.IndexOf('/');
                children.Add((slash < 0 ? rest : rest[..slash]).ToString());
            }
        }

        if (target is null && children.Count == 0 && path != "/" && !tree.IsObjectManager(path))
        {
            return null;
        }

        var xml = new StringBuilder(Header).Append("<node>\n").Append(PeerXml).Append(IntrospectableXml);
        if (target is not null)
        {
            xml.Append(PropertiesXml);
        }

        if (tree.IsObjectManager(path))
        {
            xml.Append(ObjectManagerXml);
        }

        foreach (var item in target?.Interfaces ?? [])
        {
            AppendInterface(xml, item);
        }

        foreach (var child in children)
        {
            xml.Append(" <node name=\"").Append(child).Append("\"/>\n");
        }

        return xml.Append("</node>\n").ToString();
    }

    private static void AppendInterface(StringBuilder xml, DBusInterface item)
    {
        xml.Append(" <interface name=\"").Append(item.Name).Append("\">\n");
        var shown = new HashSet<string>(StringComparer.Ordinal);
        foreach (var method in item.Methods)
        {
            if (!shown.Add(method.Name))
            {
                continue;
            }

            xml.Append("  <method name=\"").Append(method.Name).Append('"');
            if (method.InSignature.Length == 0 && method.OutSignature.Length == 0)
            {
                xml.Append("/>\n");
                continue;
            }

            xml.Append(">\n");
            AppendArguments(xml, method.InSignature, method.InNames, "in");
            AppendArguments(xml, method.OutSignature, method.OutNames, "out");
            xml.Append("  </method>\n");
        }

        foreach (var signal in item.Signals)
        {
            xml.Append("  <signal name=\"").Append(signal.Name).Append('"');
            if (signal.Signature.Length == 0)
            {
                xml.Append("/>\n");
                continue;
            }

            xml.Append(">\n");
            AppendArguments(xml, signal.Signature, signal.ArgumentNames, direction: null);
            xml.Append("  </signal>\n");
        }

        foreach (var property in item.Properties)
        {
            var access = property.Access switch
            {
                PropertyAccess.Read => "read",
                PropertyAccess.Write => "write",
                _ => "readwrite",
            };
            xml.Append("  <property name=\"").Append(property.Name).Append("\" type=\"").Append(SecurityElement.Escape(property.Signature))
                .Append("\" access=\"").Append(access).Append('"');
            var annotation = property.EmitsChangedSignal switch
            {
                EmitsChangedSignal.Invalidates => "invalidates",
                EmitsChangedSignal.Const => "const",
                EmitsChangedSignal.False => "false",
                _ => null,
            };
            if (annotation is null)
            {
                xml.Append("/>\n");
                continue;
            }

            xml.Append(">\n   <annotation name=\"org.freedesktop.DBus.Property.EmitsChangedSignal\" value=\"")
                .Append(annotation).Append("\"/>\n  </property>\n");
        }

        xml.Append(" </interface>\n");
    }

    private static void AppendArguments(StringBuilder xml, string signature, IReadOnlyList<string> names, string? direction)
    {
        var index = 0;
        var position = 0;
        while (index < signature.Length)
        {
            var length = Signature.CompleteTypeLength(signature, index);
            xml.Append("   <arg type=\"").Append(SecurityElement.Escape(signature.Substring(index, length))).Append('"');
            if (position < names.Count)
            {
                xml.Append(" name=\"").Append(SecurityElement.Escape(names[position])).Append('"');
            }

            if (direction is not null)
            {
                xml.Append(" direction=\"").Append(direction).Append('"');
            }

            xml.Append("/>\n");
            index += length;
            position++;
        }
    }
}
