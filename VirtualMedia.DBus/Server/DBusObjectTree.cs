using System.Collections.Concurrent;

namespace VirtualMedia.DBus;

/// <summary>The objects a connection (or every connection of a <see cref="DBusServer"/>) serves, by path.</summary>
/// <remarks>
/// Every path answers <c>org.freedesktop.DBus.Peer</c>; registered objects and the intermediate nodes
/// above them answer <c>Introspectable</c>; registered objects answer <c>Properties</c> and their own
/// interfaces; paths given to <see cref="AddObjectManager"/> answer <c>ObjectManager</c>.
/// </remarks>
public sealed class DBusObjectTree
{
    private readonly ConcurrentDictionary<string, DBusObject> _objects = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _objectManagers = new(StringComparer.Ordinal);
    private readonly List<DBusConnection> _connections = [];
    private readonly Lock _lock = new();

    /// <summary>Raised when a handler fails with an unexpected exception (its caller only gets a generic error): log it here.</summary>
    public event EventHandler<HandlerFailedEventArgs>? HandlerFailed;

    /// <summary>Registers an object at <paramref name="path"/> implementing <paramref name="interfaces"/>; emits InterfacesAdded under an ObjectManager.</summary>
    public DBusObject Register(string path, params DBusInterface[] interfaces)
    {
        if (!ObjectPath.IsValid(path))
        {
            throw new ArgumentException($"'{path}' is not a valid object path", nameof(path));
        }

        if (interfaces.Select(i => i.Name).Distinct(StringComparer.Ordinal).Count() != interfaces.Length)
        {
            throw new ArgumentException("an object cannot implement the same interface twice", nameof(interfaces));
        }

        var registered = new DBusObject(this, path, [.. interfaces]);
        if (!_objects.TryAdd(path, registered))
        {
            throw new InvalidOperationException($"an object is already registered at {path}");
        }

        var manager = FindObjectManager(path);
        if (manager is not null)
        {
            using var body = MessageBody.Create("oa{sa{sv}}");
            body.WriteObjectPath(path);
            StandardInterfaces.WriteInterfacesAndProperties(body, registered);
            Broadcast(manager, StandardInterfaces.ObjectManager, "InterfacesAdded", body);
        }

        return registered;
    }

    /// <summary>Unregisters the object at <paramref name="path"/>; false when there was none.</summary>
    public bool Unregister(string path)
    {
        if (!_objects.TryRemove(path, out var removed))
        {
            return false;
        }

        var manager = FindObjectManager(path);
        if (manager is not null)
        {
            using var body = MessageBody.Create("oas");
            body.WriteObjectPath(path);
            var array = body.WriteArrayStart('s');
            foreach (var item in removed.Interfaces)
            {
                body.WriteString(item.Name);
            }

            body.WriteArrayEnd(array);
            Broadcast(manager, StandardInterfaces.ObjectManager, "InterfacesRemoved", body);
        }

        return true;
    }

    /// <summary>Makes <paramref name="path"/> answer <c>org.freedesktop.DBus.ObjectManager</c> for the objects below it.</summary>
    public void AddObjectManager(string path)
    {
        if (!ObjectPath.IsValid(path))
        {
            throw new ArgumentException($"'{path}' is not a valid object path", nameof(path));
        }

        _objectManagers[path] = true;
    }

    /// <summary>The object registered at <paramref name="path"/>, or null.</summary>
    public DBusObject? Find(string path) => _objects.GetValueOrDefault(path);

    /// <summary>The introspection XML of <paramref name="path"/>, or null when nothing lives at or below it.</summary>
    public string? Introspect(string path) => Introspector.Introspect(this, path);

    internal IEnumerable<DBusObject> Objects => _objects.Values;

    internal void ReportHandlerFailure(DBusMessage call, Exception exception) =>
        HandlerFailed?.Invoke(this, new HandlerFailedEventArgs(call.Path!, call.Interface, call.Member!, exception));

    internal bool IsObjectManager(string path) => _objectManagers.ContainsKey(path);

    internal void Attach(DBusConnection connection)
    {
        lock (_lock)
        {
            _connections.Add(connection);
        }
    }

    internal void Detach(DBusConnection connection)
    {
        lock (_lock)
        {
            _connections.Remove(connection);
        }
    }

    internal void EmitSignal(DBusObject source, string interfaceName, string member, MessageBody? body)
    {
        using (body)
        {
            var declared = source.FindInterface(interfaceName)?.Signals.FirstOrDefault(s => s.Name == member)
                ?? throw new ArgumentException($"{source.Path} has no signal {interfaceName}.{member}", nameof(member));
            var signature = body?.Signature ?? string.Empty;
            if (declared.Signature != signature)
            {
                throw new ArgumentException($"signal {member} is declared '{declared.Signature}', the body is '{signature}'", nameof(body));
            }

            Broadcast(source.Path, interfaceName, member, body);
        }
    }

    internal void EmitPropertiesChanged(DBusObject source, string interfaceName, IReadOnlyList<string> names)
    {
        var owner = source.FindInterface(interfaceName)
            ?? throw new ArgumentException($"{source.Path} has no interface {interfaceName}", nameof(interfaceName));
        using var body = MessageBody.Create("sa{sv}as");
        body.WriteString(interfaceName);
        var changed = body.WriteArrayStart('{');
        foreach (var name in names)
        {
            var property = Lookup(owner, name);
            if (property.EmitsChangedSignal == EmitsChangedSignal.True)
            {
                body.WriteStructStart();
                body.WriteString(name);
                StandardInterfaces.WritePropertyVariant(body, property);
            }
        }

        body.WriteArrayEnd(changed);
        var invalidated = body.WriteArrayStart('s');
        foreach (var name in names)
        {
            if (Lookup(owner, name).EmitsChangedSignal == EmitsChangedSignal.Invalidates)
            {
                body.WriteString(name);
            }
        }

        body.WriteArrayEnd(invalidated);
        Broadcast(source.Path, StandardInterfaces.Properties, "PropertiesChanged", body);
    }

    private static DBusProperty Lookup(DBusInterface owner, string name)
    {
        var property = owner.FindProperty(name)
            ?? throw new ArgumentException($"{owner.Name} has no property {name}", nameof(name));
        if (property.EmitsChangedSignal is EmitsChangedSignal.Const or EmitsChangedSignal.False || !property.CanRead)
        {
            throw new ArgumentException($"{owner.Name}.{name} does not emit PropertiesChanged", nameof(name));
        }

        return property;
    }

    private string? FindObjectManager(string path)
    {
        for (var parent = ParentOf(path); parent is not null; parent = ParentOf(parent))
        {
            if (_objectManagers.ContainsKey(parent))
            {
                return parent;
            }
        }

        return null;
    }

    private static string? ParentOf(string path)
    {
        if (path == "/")
        {
            return null;
        }

        var slash = path.LastIndexOf('/');
        return slash == 0 ? "/" : path[..slash];
    }

    private void Broadcast(string path, string interfaceName, string member, MessageBody? body)
    {
        DBusConnection[] targets;
        lock (_lock)
        {
            targets = [.. _connections];
        }

        foreach (var connection in targets)
        {
            connection.TrySendSignal(path, interfaceName, member, body);
        }
    }
}
