using System.Collections.Concurrent;
using System.IO.Pipes;
using System.Text;
using System.Threading.Channels;
using VirtualMedia.DBus;

namespace VirtualMedia.Tests.Guest.Installed;

/// <summary>
/// A client of the installed service on the guest's system bus, calling it as bmcweb does: Legacy.Mount
/// with the secret in a pipe, Proxy.Mount, Unmount, and every slot's Completion signals.
/// </summary>
internal sealed class SystemBusClient : IAsyncDisposable
{
    public const string Name = "xyz.openbmc_project.VirtualMedia";
    public const string Root = "/xyz/openbmc_project/VirtualMedia";
    private const string Interface = Name;
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(60);

    private readonly DBusConnection _connection;
    private readonly ConcurrentDictionary<string, Channel<int>> _completions = new(StringComparer.Ordinal);
    private IAsyncDisposable? _match;

    private SystemBusClient(DBusConnection connection) => _connection = connection;

    /// <summary>Connects to the system bus and listens to every slot's Completion.</summary>
    public static async Task<SystemBusClient> ConnectAsync(CancellationToken cancellationToken)
    {
        var client = new SystemBusClient(await DBusConnection.ConnectSystemBusAsync(cancellationToken: cancellationToken));
        client._match = await client._connection.AddMatchAsync(
            new MatchRule { Member = "Completion" },
            message => client.Completions(message.Path ?? string.Empty).Writer.TryWrite(message.GetReader().ReadInt32()),
            cancellationToken);
        return client;
    }

    public static string Legacy(string slot) => $"{Root}/Legacy/{slot}";

    public static string Proxy(string slot) => $"{Root}/Proxy/{slot}";

    /// <summary>Legacy.Mount(sbh), as bmcweb since Feb 2025: the secret written and the write end closed.</summary>
    public Task<bool> MountAsync(string slot, string url, bool readWrite, string user, string password, CancellationToken cancellationToken) =>
        MountWithPipeAsync(slot, url, readWrite, user, password, heldOpen: false, cancellationToken);

    /// <summary>
    /// Legacy.Mount(sbv holding h), as bmcweb until Feb 2025: the write end stays open until the reply
    /// arrives (its reply handler holds the pipe).
    /// </summary>
    public Task<bool> MountHoldingThePipeAsync(string slot, string url, bool readWrite, string user, string password, CancellationToken cancellationToken) =>
        MountWithPipeAsync(slot, url, readWrite, user, password, heldOpen: true, cancellationToken);

    private async Task<bool> MountWithPipeAsync(
        string slot, string url, bool readWrite, string user, string password, bool heldOpen, CancellationToken cancellationToken)
    {
        using var pipe = new AnonymousPipeServerStream(PipeDirection.Out);
        await pipe.WriteAsync(Secret(user, password), cancellationToken);
        using var readEnd = pipe.ClientSafePipeHandle;
        using var body = MessageBody.Create(heldOpen ? "sbv" : "sbh");
        body.WriteString(url);
        body.WriteBool(readWrite);
        if (heldOpen)
        {
            body.WriteVariantSignature("h");
        }

        body.WriteUnixFd(readEnd);
        if (!heldOpen)
        {
            pipe.Dispose();
        }

        return await CallBoolAsync(Legacy(slot), Interface + ".Legacy", "Mount", body, cancellationToken);
    }

    public Task<bool> ProxyMountAsync(string slot, CancellationToken cancellationToken) =>
        CallBoolAsync(Proxy(slot), Interface + ".Proxy", "Mount", null, cancellationToken);

    public Task<bool> UnmountAsync(string path, CancellationToken cancellationToken) =>
        CallBoolAsync(path, path.Contains("/Proxy/", StringComparison.Ordinal) ? Interface + ".Proxy" : Interface + ".Legacy", "Unmount", null, cancellationToken);

    /// <summary>The next Completion of the object at <paramref name="path"/>.</summary>
    public async Task<int> NextCompletionAsync(string path, CancellationToken cancellationToken) =>
        await Completions(path).Reader.ReadAsync(cancellationToken);

    /// <summary>Drops the Completions nobody read (a failed case's), so that the next case does not take them for its own.</summary>
    public void ForgetCompletions()
    {
        foreach (var channel in _completions.Values)
        {
            while (channel.Reader.TryRead(out _))
            {
            }
        }
    }

    /// <summary>A property of a slot object.</summary>
    public async Task<object> GetAsync(string path, string interfaceSuffix, string property, CancellationToken cancellationToken)
    {
        using var body = MessageBody.Create("ss");
        body.WriteString(Interface + "." + interfaceSuffix);
        body.WriteString(property);
        using var reply = await _connection.CallMethodAsync(Name, path, "org.freedesktop.DBus.Properties", "Get", body, CallTimeout, cancellationToken);
        var reader = reply.GetReader();
        return reader.ReadValue(reader.ReadVariantSignature());
    }

    /// <summary>Sets a string property of a slot object (as <c>busctl set-property … s VALUE</c> does).</summary>
    public async Task SetStringAsync(string path, string interfaceSuffix, string property, string value, CancellationToken cancellationToken)
    {
        using var body = MessageBody.Create("ssv");
        body.WriteString(Interface + "." + interfaceSuffix);
        body.WriteString(property);
        body.WriteVariantSignature("s");
        body.WriteString(value);
        using var reply = await _connection.CallMethodAsync(Name, path, "org.freedesktop.DBus.Properties", "Set", body, CallTimeout, cancellationToken);
    }

    /// <summary>The object paths GetManagedObjects lists.</summary>
    public async Task<List<string>> ManagedObjectsAsync(CancellationToken cancellationToken)
    {
        using var reply = await _connection.CallMethodAsync(
            Name, Root, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", null, CallTimeout, cancellationToken);
        var objects = (IDictionary<object, object>)reply.GetReader().ReadValue("a{oa{sa{sv}}}");
        return objects.Keys.Select(k => (string)k).Order(StringComparer.Ordinal).ToList();
    }

    public async ValueTask DisposeAsync()
    {
        if (_match is not null)
        {
            await _match.DisposeAsync();
        }

        await _connection.DisposeAsync();
    }

    private static byte[] Secret(string user, string password) => Encoding.UTF8.GetBytes(user + "\0" + password + "\0");

    private Channel<int> Completions(string path) => _completions.GetOrAdd(path, _ => Channel.CreateUnbounded<int>());

    private async Task<bool> CallBoolAsync(string path, string interfaceName, string member, MessageBody? body, CancellationToken cancellationToken)
    {
        using var reply = await _connection.CallMethodAsync(Name, path, interfaceName, member, body, CallTimeout, cancellationToken);
        return reply.GetReader().ReadBool();
    }
}
