namespace VirtualMedia.DBus;

/// <summary>One signature of a method of a <see cref="DBusInterface"/> and its handler.</summary>
public sealed class DBusMethod
{
    internal DBusMethod(string name, string inSignature, string outSignature, MethodHandler handler, IReadOnlyList<string> inNames, IReadOnlyList<string> outNames)
    {
        Name = name;
        InSignature = inSignature;
        OutSignature = outSignature;
        Handler = handler;
        InNames = inNames;
        OutNames = outNames;
    }

    /// <summary>The method name.</summary>
    public string Name { get; }

    /// <summary>The argument signature this handler accepts.</summary>
    public string InSignature { get; }

    /// <summary>The reply signature.</summary>
    public string OutSignature { get; }

    /// <summary>Names of the arguments, for introspection.</summary>
    public IReadOnlyList<string> InNames { get; }

    /// <summary>Names of the reply values, for introspection.</summary>
    public IReadOnlyList<string> OutNames { get; }

    internal MethodHandler Handler { get; }
}

/// <summary>A signal of a <see cref="DBusInterface"/>.</summary>
public sealed record DBusSignal(string Name, string Signature, IReadOnlyList<string> ArgumentNames);
