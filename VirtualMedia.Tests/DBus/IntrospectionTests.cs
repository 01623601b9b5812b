using VirtualMedia.DBus;

namespace VirtualMedia.Tests.DBus;

/// <summary>Introspection XML is deterministic and shows every node on the way to an object.</summary>
public sealed class IntrospectionTests
{
    private const string Doctype =
        "<!DOCTYPE node PUBLIC \"-//freedesktop//DTD D-BUS Object Introspection 1.0//EN\"\n" +
        " \"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd\">\n";

    [Test]
    public void Object_xml_lists_members_in_registration_order_first_signature_only()
    {
        var tree = new DBusObjectTree();
        tree.Register("/a/b", new DBusInterface("org.example.Legacy")
            .AddMethod("Mount", "sbh", "b", Nothing, ["ImageURL", "ReadWrite", "FileDescriptor"])
            .AddMethod("Mount", "sbv", "b", Nothing)
            .AddMethod("Unmount", string.Empty, "b", Nothing)
            .AddSignal("Completion", "i", "Result")
            .AddProperty("Mode", "y", PropertyAccess.Read, v => v.WriteByte(1), emitsChangedSignal: EmitsChangedSignal.Const)
            .AddProperty("Url", "s", PropertyAccess.ReadWrite, v => v.WriteString(string.Empty), _ => { }));
        tree.Register("/a/b/c/d", new DBusInterface("org.example.Leaf"));

        var xml = tree.Introspect("/a/b")!;

        xml.Should().StartWith(Doctype + "<node>\n <interface name=\"org.freedesktop.DBus.Peer\">");
        xml[xml.IndexOf(" <interface name=\"org.example.Legacy\">", StringComparison.Ordinal)..].Should().Be(
            " <interface name=\"org.example.Legacy\">\n" +
            "  <method name=\"Mount\">\n" +
            "   <arg type=\"s\" name=\"ImageURL\" direction=\"in\"/>\n" +
            "   <arg type=\"b\" name=\"ReadWrite\" direction=\"in\"/>\n" +
            "   <arg type=\"h\" name=\"FileDescriptor\" direction=\"in\"/>\n" +
            "   <arg type=\"b\" direction=\"out\"/>\n" +
            "  </method>\n" +
            "  <method name=\"Unmount\">\n" +
            "   <arg type=\"b\" direction=\"out\"/>\n" +
            "  </method>\n" +
            "  <signal name=\"Completion\">\n" +
            "   <arg type=\"i\" name=\"Result\"/>\n" +
            "  </signal>\n" +
            "  <property name=\"Mode\" type=\"y\" access=\"read\">\n" +
            "   <annotation name=\"org.freedesktop.DBus.Property.EmitsChangedSignal\" value=\"const\"/>\n" +
            "  </property>\n" +
            "  <property name=\"Url\" type=\"s\" access=\"readwrite\"/>\n" +
            " </interface>\n" +
            " <node name=\"c\"/>\n" +
            "</node>\n");
        xml.Should().Contain("org.freedesktop.DBus.Properties").And.NotContain("org.freedesktop.DBus.ObjectManager");
        tree.Introspect("/a/b").Should().Be(xml);
    }

    [Test]
    public void Intermediate_nodes_list_their_children_and_unknown_paths_have_none()
    {
        var tree = new DBusObjectTree();
        tree.Register("/a/b/x", new DBusInterface("org.example.Leaf"));
        tree.Register("/a/c", new DBusInterface("org.example.Leaf"));
        tree.AddObjectManager("/a");

        tree.Introspect("/")!.Should().EndWith(" <node name=\"a\"/>\n</node>\n");
        var a = tree.Introspect("/a")!;
        a.Should().EndWith(" <node name=\"b\"/>\n <node name=\"c\"/>\n</node>\n");
        a.Should().Contain("org.freedesktop.DBus.ObjectManager").And.NotContain("org.freedesktop.DBus.Properties");
        tree.Introspect("/a/b")!.Should().EndWith(" <node name=\"x\"/>\n</node>\n");
        tree.Introspect("/nope").Should().BeNull();
        tree.Introspect("/a/b/x/y").Should().BeNull();
    }

    [Test]
    public void Registration_errors_are_caught_early()
    {
        var tree = new DBusObjectTree();
        tree.Register("/a", new DBusInterface("org.example.A"));

        FluentActions.Invoking(() => tree.Register("/a", new DBusInterface("org.example.B"))).Should().Throw<InvalidOperationException>();
        FluentActions.Invoking(() => tree.Register("a/")).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => new DBusInterface("nodots")).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => new DBusInterface("org.example.C").AddMethod("M", "s", string.Empty, Nothing).AddMethod("M", "s", string.Empty, Nothing))
            .Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => new DBusInterface("org.example.C").AddProperty("P", "ii", PropertyAccess.Read, _ => { })).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => new DBusInterface("org.example.C").AddProperty("P", "i", PropertyAccess.ReadWrite, _ => { })).Should().Throw<ArgumentNullException>();
    }

    private static ValueTask<MessageBody?> Nothing(MethodCall call, CancellationToken cancellationToken) => ValueTask.FromResult<MessageBody?>(null);
}
