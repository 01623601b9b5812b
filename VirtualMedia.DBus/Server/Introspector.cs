namespace VirtualMedia.DBus;

/// <summary>Builds introspection XML deterministically from a <see cref="DBusObjectTree"/>.</summary>
internal static class Introspector
{
    public static string? Introspect(DBusObjectTree tree, string path) => throw new NotImplementedException();
}
