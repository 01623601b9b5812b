using System.Collections.Concurrent;
using System.Text.Json;
using VirtualMedia.DBus;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.Service;

/// <summary>
/// A private dbus-daemon, a sandbox directory and the real service process on a configuration,
/// with a client connection of our D-Bus library that calls the service the way bmcweb does.
/// </summary>
internal sealed class ServiceRig : IAsyncDisposable
{
    public const string Name = "xyz.openbmc_project.VirtualMedia";
    public const string Root = "/xyz/openbmc_project/VirtualMedia";
    public const string MountPoint = Name + ".MountPoint";
    public const string Process = Name + ".Process";
    public const string Stats = Name + ".Stats";
    public const string Legacy = Name + ".Legacy";
    public const string Proxy = Name + ".Proxy";
    public static readonly TimeSpan CallTimeout = Patience.Scale(TimeSpan.FromSeconds(30));

    private readonly ConcurrentDictionary<string, BlockingCollection<int>> _completions = new();
    private readonly ConcurrentQueue<(string Path, string Interface, string[] Names)> _changes = new();
    private IAsyncDisposable? _completionMatch;
    private IAsyncDisposable? _changesMatch;

    private ServiceRig(DBusDaemon bus, TempDirectory directory)
    {
        Bus = bus;
        Directory = directory;
        System.IO.Directory.CreateDirectory(ImageDirectory);
        System.IO.Directory.CreateDirectory(Sandbox);
    }

    public DBusDaemon Bus { get; }

    public TempDirectory Directory { get; }

    public ServiceProcess Service { get; private set; } = null!;

    public DBusConnection Client { get; private set; } = null!;

    public string Sandbox => Directory.Combine("sandbox");

    public string ImageDirectory => Directory.Combine("images");

    public string ConfigFile => Directory.Combine("virtual-media.json");

    /// <summary>Every PropertiesChanged seen so far: path, interface, changed property names.</summary>
    public IReadOnlyList<(string Path, string Interface, string[] Names)> Changes => [.. _changes];

    public static string ProxyPath(int slot) => $"{Root}/Proxy/Slot_{slot}";

    public static string LegacyPath(int slot) => $"{Root}/Legacy/Slot_{slot}";

    /// <summary>
    /// The standard configuration: Slot_0/1 proxy (nbd0/1), Slot_2/3 legacy (nbd2/3), sockets in the sandbox;
    /// <paramref name="extra"/> adds or overrides top-level keys (a JSON object's members, without braces),
    /// <paramref name="slotExtra"/> keys of the slot with that number (such as its EjectPolicy).
    /// </summary>
    public static string StandardConfig(
        ServiceRig rig, string extra = "\"InactivityTimeout\": 1800", ushort timeout = 30, Func<int, string?>? slotExtra = null)
    {
        var slots = string.Join(",\n", Enumerable.Range(0, 4).Select(i =>
        {
            var proxy = i < 2;
            var more = slotExtra?.Invoke(i) is { } keys ? ", " + keys : string.Empty;
            return $$"""
                "Slot_{{i}}": { "EndpointId": "{{(proxy ? $"/nbd/{i}" : string.Empty)}}", "Mode": {{(proxy ? 0 : 1)}}, "NBDDevice": "nbd{{i}}",
                  "UnixSocket": {{JsonSerializer.Serialize(Path.Combine(rig.Sandbox, $"run/virtual-media/nbd{i}.sock"))}}, "Timeout": {{timeout}}, "BlockSize": 512{{more}} }
                """;
        }));
        return $$"""
            {
              "Sandbox": {{JsonSerializer.Serialize(rig.Sandbox)}},
              "ImageDirectory": {{JsonSerializer.Serialize(rig.ImageDirectory)}},
              {{extra}},
              "MountPoints": {
            {{slots}}
              }
            }
            """;
    }

    /// <summary>Starts a bus and the service on the configuration <paramref name="config"/> makes for the rig.</summary>
    public static async Task<ServiceRig> StartAsync(Func<ServiceRig, string>? config = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var bus = await DBusDaemon.StartAsync();
        var rig = new ServiceRig(bus, new TempDirectory("vm-service"));
        try
        {
            // The sandbox offers two fake UDCs; four slots active at once need four ports, as a vhub has.
            for (var i = 2; i < 4; i++)
            {
                System.IO.Directory.CreateDirectory(Path.Combine(rig.Sandbox, "sys/class/udc", $"sandbox_udc.{i}"));
            }

            await File.WriteAllTextAsync(rig.ConfigFile, (config ?? (r => StandardConfig(r)))(rig));
            rig.Client = await DBusConnection.ConnectAsync(bus.Address);
            rig._completionMatch = await rig.Client.AddMatchAsync(
                new MatchRule { Member = "Completion", PathNamespace = Root },
                message => rig.CompletionsOf(message.Path!).Add(message.GetReader().ReadInt32()));
            rig._changesMatch = await rig.Client.AddMatchAsync(
                new MatchRule { Interface = "org.freedesktop.DBus.Properties", Member = "PropertiesChanged", PathNamespace = Root },
                message => rig._changes.Enqueue((message.Path!, message.GetReader().ReadString(), ChangedNames(message))));
            await rig.StartServiceAsync(environment);
            return rig;
        }
        catch
        {
            await rig.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts (or restarts) the service process and waits until it owns its name.</summary>
    public async Task StartServiceAsync(IReadOnlyDictionary<string, string>? environment = null)
    {
        var variables = new Dictionary<string, string>(Bus.Environment);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            variables[key] = value;
        }

        Service = ServiceProcess.Start(ConfigFile, variables);
        await Wait.UntilAsync(async () => Service.HasExited || await HasOwnerAsync(), TimeSpan.FromSeconds(30), "the service to own its name");
        if (Service.HasExited)
        {
            Assert.Fail($"the service exited at start:\n{Service.Output}");
        }
    }

    public async Task<bool> HasOwnerAsync()
    {
        using var body = MessageBody.Create("s");
        body.WriteString(Name);
        using var reply = await Client.CallMethodAsync(
            "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "NameHasOwner", body, CallTimeout);
        return reply.GetReader().ReadBool();
    }

    /// <summary>Legacy.Mount with signature sbh, as bmcweb since Feb 2025 sends it.</summary>
    public async Task<bool> MountAsync(string path, string url, bool readWrite, SecretPipe secret)
    {
        var body = MessageBody.Create("sbh");
        body.WriteString(url);
        body.WriteBool(readWrite);
        body.WriteUnixFd(secret.ReadEnd);
        return await CallBoolAsync(path, Legacy, "Mount", body);
    }

    /// <summary>Legacy.Mount with signature sbv holding an int (-1: no secret), as older bmcweb sends it.</summary>
    public async Task<bool> MountWithIntAsync(string path, string url, bool readWrite, int value = -1)
    {
        var body = MessageBody.Create("sbv");
        body.WriteString(url);
        body.WriteBool(readWrite);
        body.WriteVariantSignature("i");
        body.WriteInt32(value);
        return await CallBoolAsync(path, Legacy, "Mount", body);
    }

    /// <summary>Legacy.Mount with signature sbv holding the secret pipe's fd.</summary>
    public async Task<bool> MountWithVariantFdAsync(string path, string url, bool readWrite, SecretPipe secret)
    {
        var body = MessageBody.Create("sbv");
        body.WriteString(url);
        body.WriteBool(readWrite);
        body.WriteVariantSignature("h");
        body.WriteUnixFd(secret.ReadEnd);
        return await CallBoolAsync(path, Legacy, "Mount", body);
    }

    public Task<bool> ProxyMountAsync(string path) => CallBoolAsync(path, Proxy, "Mount", null);

    public Task<bool> UnmountAsync(string path) =>
        CallBoolAsync(path, path.Contains("/Proxy/", StringComparison.Ordinal) ? Proxy : Legacy, "Unmount", null);

    public async Task<bool> CallBoolAsync(string path, string interfaceName, string member, MessageBody? body)
    {
        using var reply = await Client.CallMethodAsync(Name, path, interfaceName, member, body, CallTimeout);
        return reply.GetReader().ReadBool();
    }

    public async Task<object> GetAsync(string path, string interfaceName, string property)
    {
        var body = MessageBody.Create("ss");
        body.WriteString(interfaceName);
        body.WriteString(property);
        using var reply = await Client.CallMethodAsync(Name, path, "org.freedesktop.DBus.Properties", "Get", body, CallTimeout);
        var reader = reply.GetReader();
        return reader.ReadValue(reader.ReadVariantSignature());
    }

    public async Task<bool> IsActiveAsync(string path) => (bool)await GetAsync(path, Process, "Active");

    /// <summary>Waits for the next Completion signal of <paramref name="path"/>.</summary>
    public int NextCompletion(string path, TimeSpan? timeout = null)
    {
        if (!CompletionsOf(path).TryTake(out var result, Patience.Scale(timeout ?? TimeSpan.FromSeconds(60))))
        {
            Assert.Fail($"no Completion from {path}\n{Service.Output}");
        }

        return result;
    }

    /// <summary>
    /// Checks that <paramref name="path"/> is Ready (or becomes Ready: an ejection may still be removing the media) and
    /// owes no Completion: Unmount is refused as a Ready slot refuses it (EPERM, nothing to unmount), and no Completion of
    /// the slot came before that refusal.
    /// </summary>
    public async Task ExpectReadyOwingNoCompletionAsync(string path)
    {
        DBusErrorException? refusal = null;
        await Wait.UntilAsync(
            async () =>
            {
                var unmount = async () => await UnmountAsync(path);
                refusal = (await unmount.Should().ThrowAsync<DBusErrorException>()).Which;
                return refusal.ErrorName != "System.Error.EBUSY";
            },
            TimeSpan.FromSeconds(15),
            () => $"{path} to be Ready\n{Service.Output}");
        refusal!.ErrorName.Should().Be("org.freedesktop.DBus.Error.AccessDenied");
        refusal.ErrorMessage.Should().Contain("nothing to unmount");
        ExpectNoCompletionBeforeTheRefusal(path);
    }

    /// <summary>
    /// Checks that <paramref name="path"/> is Active and owes no Completion: another Mount is refused as an Active slot
    /// refuses it (EPERM, already has media), and no Completion of the slot came before that refusal.
    /// </summary>
    public async Task ExpectActiveOwingNoCompletionAsync(string path)
    {
        var mount = async () => await MountWithIntAsync(path, "https://127.0.0.1/another.iso", false);
        var refusal = (await mount.Should().ThrowAsync<DBusErrorException>()).Which;
        refusal.ErrorName.Should().Be("org.freedesktop.DBus.Error.AccessDenied");
        refusal.ErrorMessage.Should().Contain("already has media inserted");
        ExpectNoCompletionBeforeTheRefusal(path);
    }

    // A slot sends every Completion it owes under its gate, and refuses a request under the same gate afterwards; the
    // refusal reaches us after those signals, as one sender's messages keep their order.
    private void ExpectNoCompletionBeforeTheRefusal(string path) =>
        CompletionsOf(path).Should().BeEmpty("{0} owes no Completion", path);

    /// <summary>Reads the whole media as the host would, through the sandbox's dev/nbdX.sock, and hashes it.</summary>
    public async Task<string> HostViewSha256Async(string device)
    {
        var copy = Directory.Combine(device + ".copy");
        try
        {
            return await NbdPeers.CopySha256Async($"nbd+unix:///?socket={Path.Combine(Sandbox, "dev", device + ".sock")}", copy);
        }
        finally
        {
            File.Delete(copy);
        }
    }

    /// <summary>Writes a random test image of <paramref name="bytes"/> into <paramref name="directory"/>.</summary>
    public static string WriteImage(string directory, string name, int bytes)
    {
        var path = Path.Combine(directory, name);
        var data = new byte[bytes];
        Random.Shared.NextBytes(data);
        File.WriteAllBytes(path, data);
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        if (Service is not null)
        {
            await Service.DisposeAsync();
        }

        if (_completionMatch is not null)
        {
            await _completionMatch.DisposeAsync();
        }

        if (_changesMatch is not null)
        {
            await _changesMatch.DisposeAsync();
        }

        if (Client is not null)
        {
            await Client.DisposeAsync();
        }

        await Bus.DisposeAsync();
        Directory.Dispose();
    }

    private BlockingCollection<int> CompletionsOf(string path) => _completions.GetOrAdd(path, _ => []);

    private static string[] ChangedNames(DBusMessage message)
    {
        var reader = message.GetReader();
        reader.ReadString();
        var changed = (Dictionary<object, object>)reader.ReadValue("a{sv}");
        var invalidated = (object[])reader.ReadValue("as");
        return [.. changed.Keys.Cast<string>(), .. invalidated.Cast<string>()];
    }
}
