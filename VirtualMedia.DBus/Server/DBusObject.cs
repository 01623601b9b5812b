namespace VirtualMedia.DBus;

/// <summary>An object registered at a path of a <see cref="DBusObjectTree"/>; dispose it to unregister.</summary>
public sealed class DBusObject : IDisposable
{
    private readonly DBusObjectTree _tree;

    internal DBusObject(DBusObjectTree tree, string path, IReadOnlyList<DBusInterface> interfaces)
    {
        _tree = tree;
        Path = path;
        Interfaces = interfaces;
    }

    /// <summary>The object path.</summary>
    public string Path { get; }

    /// <summary>The interfaces it implements (besides the standard ones).</summary>
    public IReadOnlyList<DBusInterface> Interfaces { get; }

    /// <summary>The interface called <paramref name="name"/>, or null.</summary>
    public DBusInterface? FindInterface(string name)
    {
        foreach (var candidate in Interfaces)
        {
            if (candidate.Name == name)
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Emits a declared signal of one of its interfaces on every connection serving the tree; takes ownership of <paramref name="body"/>.</summary>
    /// <remarks>Synchronous: written to each connection's socket (sendmsg) before it returns.</remarks>
    public void EmitSignal(string interfaceName, string member, MessageBody? body = null) =>
        _tree.EmitSignal(this, interfaceName, member, body);

    /// <summary>Emits <c>PropertiesChanged</c> for the named properties, values read from their getters (honouring EmitsChangedSignal).</summary>
    /// <remarks>Synchronous, like <see cref="EmitSignal"/>.</remarks>
    public void EmitPropertiesChanged(string interfaceName, IReadOnlyList<string> propertyNames) =>
        _tree.EmitPropertiesChanged(this, interfaceName, propertyNames);

    /// <summary>Unregisters the object (emitting InterfacesRemoved under an ObjectManager).</summary>
    public void Dispose() => _tree.Unregister(Path);
}
