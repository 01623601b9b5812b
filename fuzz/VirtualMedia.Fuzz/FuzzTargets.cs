using VirtualMedia.Fuzz.Targets;

namespace VirtualMedia.Fuzz;

/// <summary>Every fuzz target, by name.</summary>
public static class FuzzTargets
{
    /// <summary>All targets, in the order <c>fuzz/run all</c> runs them.</summary>
    public static IReadOnlyList<IFuzzTarget> All { get; } =
    [
        new DBusMessageTarget(),
        new SaslServerTarget(),
        new NbdServerTarget(),
        new NbdClientTarget(),
        new ConfigurationTarget(),
        new ImageUrlTarget(),
        new MountSecretTarget(),
    ];

    /// <summary>The target called <paramref name="name"/>.</summary>
    public static IFuzzTarget Get(string name) =>
        All.FirstOrDefault(t => t.Name == name)
        ?? throw new ArgumentException($"no fuzz target '{name}' (known: {string.Join(", ", All.Select(t => t.Name))})", nameof(name));
}
