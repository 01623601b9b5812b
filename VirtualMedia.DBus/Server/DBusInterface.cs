namespace VirtualMedia.DBus;

/// <summary>An interface that objects in a <see cref="DBusObjectTree"/> implement: methods, properties and signals.</summary>
/// <remarks>Build it fully before registering an object with it; it is then read concurrently and must not change.</remarks>
public sealed class DBusInterface
{
    private readonly List<DBusMethod> _methods = [];
    private readonly Dictionary<string, DBusProperty> _properties = new(StringComparer.Ordinal);
    private readonly List<DBusProperty> _propertyOrder = [];
    private readonly List<DBusSignal> _signals = [];

    /// <summary>Creates an empty interface called <paramref name="name"/>.</summary>
    public DBusInterface(string name)
    {
        if (!ObjectPath.IsValidInterfaceName(name))
        {
            throw new ArgumentException($"'{name}' is not a valid interface name", nameof(name));
        }

        Name = name;
    }

    /// <summary>The interface name.</summary>
    public string Name { get; }

    /// <summary>Methods in registration order; a name may appear with several input signatures.</summary>
    public IReadOnlyList<DBusMethod> Methods => _methods;

    /// <summary>Properties in registration order.</summary>
    public IReadOnlyList<DBusProperty> Properties => _propertyOrder;

    /// <summary>Signals in registration order.</summary>
    public IReadOnlyList<DBusSignal> Signals => _signals;

    /// <summary>Adds a method signature and its handler; the same name may be added again with another input signature.</summary>
    public DBusInterface AddMethod(string name, string inSignature, string outSignature, MethodHandler handler, IReadOnlyList<string>? inNames = null, IReadOnlyList<string>? outNames = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        EnsureMemberName(name);
        Signature.EnsureValid(inSignature, nameof(inSignature));
        Signature.EnsureValid(outSignature, nameof(outSignature));
        if (_methods.Exists(m => m.Name == name && m.InSignature == inSignature))
        {
            throw new ArgumentException($"{Name}.{name} already has the input signature '{inSignature}'", nameof(inSignature));
        }

        _methods.Add(new DBusMethod(name, inSignature, outSignature, handler, inNames ?? [], outNames ?? []));
        return this;
    }

    /// <summary>Adds a property of type <paramref name="signature"/>; readable ones need a getter, writable ones a setter.</summary>
    public DBusInterface AddProperty(string name, string signature, PropertyAccess access, PropertyGetter? getter, PropertySetter? setter = null, EmitsChangedSignal emitsChangedSignal = EmitsChangedSignal.True)
    {
        EnsureMemberName(name);
        if (!Signature.IsSingleCompleteType(signature))
        {
            throw new ArgumentException($"'{signature}' is not a single complete type", nameof(signature));
        }

        if (access != PropertyAccess.Write && getter is null)
        {
            throw new ArgumentNullException(nameof(getter), $"readable property {name} needs a getter");
        }

        if (access != PropertyAccess.Read && setter is null)
        {
            throw new ArgumentNullException(nameof(setter), $"writable property {name} needs a setter");
        }

        var property = new DBusProperty(name, signature, access, getter, setter, emitsChangedSignal);
        if (!_properties.TryAdd(name, property))
        {
            throw new ArgumentException($"{Name} already has a property {name}", nameof(name));
        }

        _propertyOrder.Add(property);
        return this;
    }

    /// <summary>Adds a signal with its signature and argument names (for introspection).</summary>
    public DBusInterface AddSignal(string name, string signature, params string[] argumentNames)
    {
        EnsureMemberName(name);
        Signature.EnsureValid(signature, nameof(signature));
        _signals.Add(new DBusSignal(name, signature, argumentNames));
        return this;
    }

    /// <summary>The property called <paramref name="name"/>, or null.</summary>
    public DBusProperty? FindProperty(string name) => _properties.GetValueOrDefault(name);

    internal DBusMethod? FindMethod(string member, string signature, out bool memberExists)
    {
        memberExists = false;
        foreach (var method in _methods)
        {
            if (method.Name == member)
            {
                memberExists = true;
                if (method.InSignature == signature)
                {
                    return method;
                }
            }
        }

        return null;
    }

    private static void EnsureMemberName(string name)
    {
        if (!ObjectPath.IsValidMemberName(name))
        {
            throw new ArgumentException($"'{name}' is not a valid member name", nameof(name));
        }
    }
}
