using VirtualMedia.DBus;
using VirtualMedia.Service.Hosting;

namespace VirtualMedia.Tests.Architecture;

/// <summary>The service's namespaces form layers: no cycles, and D-Bus's types only in <c>Bus</c>.</summary>
[TestFixture]
public sealed class ServiceLayeringTests
{
    private const string Service = "VirtualMedia.Service";

    // Namespace → the namespaces it uses, each with the types that make the dependency (for the failure message).
    private static readonly Dictionary<string, Dictionary<string, SortedSet<string>>> Uses = Build();

    [Test]
    public void The_graph_is_read_from_the_compiled_service()
    {
        // Guards the two tests below against a reader that finds nothing: these edges exist by design.
        Uses[$"{Service}.Slots"].Keys.Should().Contain($"{Service}.Activation");
        Uses[$"{Service}.Bus"].Keys.Should().Contain($"{Service}.Slots").And.Contain(typeof(DBusConnection).Namespace!);
    }

    [Test]
    public void No_namespace_of_the_service_depends_on_itself_through_others()
    {
        var cycles = Uses.Keys.Where(n => n.StartsWith(Service, StringComparison.Ordinal))
            .Select(PathBackTo).Where(path => path is not null).Select(path => Describe(path!)).ToList();

        cycles.Should().BeEmpty("a namespace that depends on itself through others has no layer of its own");
    }

    [Test]
    public void Only_the_bus_layer_uses_the_dbus_library()
    {
        var dbus = typeof(DBusConnection).Namespace!;
        var outside = Uses.Where(use => use.Key.StartsWith(Service, StringComparison.Ordinal) && use.Key != $"{Service}.Bus")
            .Where(use => use.Value.Keys.Any(n => n.StartsWith(dbus, StringComparison.Ordinal)))
            .Select(use => $"{use.Key}: {string.Join(", ", use.Value.Where(n => n.Key.StartsWith(dbus, StringComparison.Ordinal)).SelectMany(n => n.Value))}")
            .ToList();

        outside.Should().BeEmpty("D-Bus errors and messages are the transport's, translated in Bus/");
    }

    private static Dictionary<string, Dictionary<string, SortedSet<string>>> Build()
    {
        var uses = new Dictionary<string, Dictionary<string, SortedSet<string>>>(StringComparer.Ordinal);
        foreach (var type in typeof(VirtualMediaService).Assembly.GetTypes().Where(t => t.DeclaringType is null && t.Namespace is not null))
        {
            var from = type.Namespace!;
            foreach (var used in TypeReferences.Of(type).Select(TypeReferences.Owner))
            {
                if (used.Namespace is not { } to || to == from || !to.StartsWith("VirtualMedia.", StringComparison.Ordinal))
                {
                    continue;
                }

                var targets = uses.TryGetValue(from, out var known) ? known : uses[from] = new(StringComparer.Ordinal);
                (targets.TryGetValue(to, out var why) ? why : targets[to] = []).Add($"{type.Name}→{used.Name}");
            }
        }

        return uses;
    }

    /// <summary>The namespaces on a shortest way from <paramref name="start"/> back to itself, or null.</summary>
    private static List<string>? PathBackTo(string start)
    {
        var cameFrom = new Dictionary<string, string>(StringComparer.Ordinal);
        var queue = new Queue<string>([start]);
        while (queue.TryDequeue(out var current))
        {
            foreach (var next in Uses.TryGetValue(current, out var targets) ? targets.Keys.ToList() : [])
            {
                if (next == start)
                {
                    var path = new List<string> { current };
                    while (path[0] != start)
                    {
                        path.Insert(0, cameFrom[path[0]]);
                    }

                    return path;
                }

                if (cameFrom.TryAdd(next, current))
                {
                    queue.Enqueue(next);
                }
            }
        }

        return null;
    }

    private static string Describe(List<string> path) => string.Join(
        " → ",
        path.Zip(path.Skip(1).Append(path[0]), (from, to) => $"{from} ({string.Join(", ", Uses[from][to].Take(3))})"));
}
