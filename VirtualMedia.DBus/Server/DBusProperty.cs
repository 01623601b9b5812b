namespace VirtualMedia.DBus;

/// <summary>Writes a property's current value (just the value, of the property's type; the library wraps it in a variant).</summary>
public delegate void PropertyGetter(MessageBody value);

/// <summary>Reads a new property value (of the property's type) and applies it, or throws a <see cref="DBusErrorException"/>.</summary>
public delegate void PropertySetter(MessageReader value);

/// <summary>Who may read or write a property.</summary>
public enum PropertyAccess
{
    /// <summary>Read-only.</summary>
    Read,

    /// <summary>Write-only.</summary>
    Write,

    /// <summary>Read and write.</summary>
    ReadWrite,
}

/// <summary>The value of the <c>org.freedesktop.DBus.Property.EmitsChangedSignal</c> annotation.</summary>
public enum EmitsChangedSignal
{
    /// <summary>PropertiesChanged carries the new value (the default: no annotation is written).</summary>
    True,

    /// <summary>PropertiesChanged names the property as invalidated, without its value.</summary>
    Invalidates,

    /// <summary>The value never changes while the object exists.</summary>
    Const,

    /// <summary>No signal is emitted when it changes.</summary>
    False,
}

/// <summary>A property of a <see cref="DBusInterface"/>.</summary>
public sealed class DBusProperty
{
    internal DBusProperty(string name, string signature, PropertyAccess access, PropertyGetter? getter, PropertySetter? setter, EmitsChangedSignal emitsChangedSignal)
    {
        Name = name;
        Signature = signature;
        Access = access;
        Getter = getter;
        Setter = setter;
        EmitsChangedSignal = emitsChangedSignal;
    }

    /// <summary>The property name.</summary>
    public string Name { get; }

    /// <summary>Its single complete type.</summary>
    public string Signature { get; }

    /// <summary>Read, write or both.</summary>
    public PropertyAccess Access { get; }

    /// <summary>How changes are signalled.</summary>
    public EmitsChangedSignal EmitsChangedSignal { get; }

    internal PropertyGetter? Getter { get; }

    internal PropertySetter? Setter { get; }

    internal bool CanRead => Access != PropertyAccess.Write;

    internal bool CanWrite => Access != PropertyAccess.Read;
}
