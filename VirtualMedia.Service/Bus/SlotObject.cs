using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using VirtualMedia.DBus;
using VirtualMedia.Service.Activation;
using VirtualMedia.Service.Configuration;
using VirtualMedia.Service.Slots;

namespace VirtualMedia.Service.Bus;

/// <summary>
/// A slot on D-Bus, exactly as bmcweb expects it (CONTRACT.md §1): MountPoint, Process and Stats
/// properties, the mode's Mount/Unmount/Completion, and PropertiesChanged for whatever changes.
/// </summary>
public sealed class SlotObject : ISlotPublisher, IDisposable
{
    private static readonly TimeSpan SecretTimeout = TimeSpan.FromSeconds(5);
    private readonly Slot _slot;
    private readonly ILogger _logger;
    private DBusObject? _object;

    /// <summary>Describes <paramref name="slot"/>'s object; <see cref="Register"/> publishes it.</summary>
    public SlotObject(Slot slot, ILogger logger)
    {
        _slot = slot;
        _logger = logger;
        Path = VirtualMediaNames.PathOf(slot.Configuration);
        // bmcweb walks the interfaces in this order and the last to set ConnectedVia wins: Process (Active: "Applet")
        // before MountPoint (ImageURL: "URI"), so a legacy URL mount reads URI and a proxy mount Applet (CONTRACT.md §1).
        Interfaces = [ProcessInterface(), MountPointInterface(), StatsInterface(), ModeInterface(), EjectPolicyInterface()];
    }

    /// <summary>The object path.</summary>
    public string Path { get; }

    /// <summary>The slot's five interfaces, in the order introspection and GetManagedObjects list them.</summary>
    public IReadOnlyList<DBusInterface> Interfaces { get; }

    private SlotConfiguration Configuration => _slot.Configuration;

    /// <summary>Registers the object in <paramref name="tree"/> (under its ObjectManager).</summary>
    public void Register(DBusObjectTree tree) => _object = tree.Register(Path, [.. Interfaces]);

    /// <inheritdoc />
    public ValueTask PropertiesChangedAsync(SlotStatus before, SlotStatus after)
    {
        if (_object is null)
        {
            return ValueTask.CompletedTask;
        }

        var mountPoint = new List<string>(3);
        AddIf(mountPoint, before.ImageUrl != after.ImageUrl, "ImageURL");
        AddIf(mountPoint, before.WriteProtected != after.WriteProtected, "WriteProtected");
        AddIf(mountPoint, before.RemainingInactivityTimeout != after.RemainingInactivityTimeout, "RemainingInactivityTimeout");
        var process = new List<string>(2);
        AddIf(process, before.Active != after.Active, "Active");
        AddIf(process, before.ExitCode != after.ExitCode, "ExitCode");
        var stats = new List<string>(2);
        AddIf(stats, before.ReadIO != after.ReadIO, "ReadIO");
        AddIf(stats, before.WriteIO != after.WriteIO, "WriteIO");
        var ejectPolicy = new List<string>(1);
        AddIf(ejectPolicy, before.RemainingEjectTimeout != after.RemainingEjectTimeout, "RemainingEjectTimeout");
        foreach (var (name, changed) in new[]
        {
            (VirtualMediaNames.MountPoint, mountPoint), (VirtualMediaNames.Process, process), (VirtualMediaNames.Stats, stats),
            (VirtualMediaNames.EjectPolicy, ejectPolicy),
        })
        {
            if (changed.Count > 0)
            {
                _object.EmitPropertiesChanged(name, changed);
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask CompletionAsync(int result)
    {
        if (_object is not null)
        {
            var body = MessageBody.Create("i");
            body.WriteInt32(result);
            _object.EmitSignal(VirtualMediaNames.ModeInterface(Configuration.Mode), "Completion", body);
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public void Dispose() => _object?.Dispose();

    private DBusInterface MountPointInterface() => new DBusInterface(VirtualMediaNames.MountPoint)
        .AddProperty("EndpointId", "s", PropertyAccess.Read, v => v.WriteString(Configuration.EndpointId), emitsChangedSignal: EmitsChangedSignal.Const)
        .AddProperty("Mode", "y", PropertyAccess.Read, v => v.WriteByte((byte)Configuration.Mode), emitsChangedSignal: EmitsChangedSignal.Const)
        .AddProperty("Device", "s", PropertyAccess.Read, v => v.WriteString(Configuration.NbdDevice), emitsChangedSignal: EmitsChangedSignal.Const)
        .AddProperty("Socket", "s", PropertyAccess.Read, v => v.WriteString(Configuration.UnixSocket), emitsChangedSignal: EmitsChangedSignal.Const)
        .AddProperty("Timeout", "q", PropertyAccess.Read, v => v.WriteUInt16(Configuration.TimeoutSeconds), emitsChangedSignal: EmitsChangedSignal.Const)
        .AddProperty("BlockSize", "q", PropertyAccess.Read, v => v.WriteUInt16(Configuration.BlockSize), emitsChangedSignal: EmitsChangedSignal.Const)
        .AddProperty("RemainingInactivityTimeout", "q", PropertyAccess.Read, v => v.WriteUInt16(_slot.Status.RemainingInactivityTimeout))
        .AddProperty("ImageURL", "s", PropertyAccess.Read, v => v.WriteString(_slot.Status.ImageUrl))
        .AddProperty("WriteProtected", "b", PropertyAccess.Read, v => v.WriteBool(_slot.Status.WriteProtected));

    private DBusInterface ProcessInterface() => new DBusInterface(VirtualMediaNames.Process)
        .AddProperty("Active", "b", PropertyAccess.Read, v => v.WriteBool(_slot.Status.Active))
        .AddProperty("ExitCode", "i", PropertyAccess.Read, v => v.WriteInt32(_slot.Status.ExitCode));

    private DBusInterface StatsInterface() => new DBusInterface(VirtualMediaNames.Stats)
        .AddProperty("ReadIO", "t", PropertyAccess.Read, v => v.WriteUInt64(_slot.Status.ReadIO))
        .AddProperty("WriteIO", "t", PropertyAccess.Read, v => v.WriteUInt64(_slot.Status.WriteIO));

    private DBusInterface EjectPolicyInterface() => new DBusInterface(VirtualMediaNames.EjectPolicy)
        .AddProperty("Policy", "s", PropertyAccess.Read, v => v.WriteString(Configuration.EjectPolicy.ToString()), emitsChangedSignal: EmitsChangedSignal.Const)
        .AddProperty("EjectTimeout", "q", PropertyAccess.Read, v => v.WriteUInt16(Configuration.EjectTimeoutSeconds), emitsChangedSignal: EmitsChangedSignal.Const)
        .AddProperty("RemainingEjectTimeout", "q", PropertyAccess.Read, v => v.WriteUInt16(_slot.Status.RemainingEjectTimeout));

    private DBusInterface ModeInterface()
    {
        var modeInterface = new DBusInterface(VirtualMediaNames.ModeInterface(Configuration.Mode));
        if (Configuration.Mode == SlotMode.Legacy)
        {
            // bmcweb since Feb 2025 sends "sbh"; older ones "sbv" (v holding i -1 or h). Introspection shows the first.
            modeInterface
                .AddMethod("Mount", "sbh", "b", MountWithFdAsync, ["ImageURL", "ReadWrite", "FileDescriptor"], ["Result"])
                .AddMethod("Mount", "sbv", "b", MountWithVariantAsync, ["ImageURL", "ReadWrite", "FileDescriptor"], ["Result"]);
        }
        else
        {
            modeInterface.AddMethod("Mount", string.Empty, "b", ProxyMountAsync, [], ["Result"]);
        }

        return modeInterface
            .AddMethod("Unmount", string.Empty, "b", UnmountAsync, [], ["Result"])
            .AddSignal("Completion", "i", "Result");
    }

    private async ValueTask<MessageBody?> MountWithFdAsync(MethodCall call, CancellationToken cancellationToken)
    {
        var reader = call.Reader;
        var url = reader.ReadString();
        var readWrite = reader.ReadBool();
        using var pipe = reader.ReadUnixFd();
        return await LegacyMountAsync(call, url, readWrite, pipe, cancellationToken);
    }

    private async ValueTask<MessageBody?> MountWithVariantAsync(MethodCall call, CancellationToken cancellationToken)
    {
        var reader = call.Reader;
        var url = reader.ReadString();
        var readWrite = reader.ReadBool();
        switch (reader.ReadVariantSignature())
        {
            case "h":
                using (var pipe = reader.ReadUnixFd())
                {
                    return await LegacyMountAsync(call, url, readWrite, pipe, cancellationToken);
                }

            case "i":
                if (reader.ReadInt32() != -1)
                {
                    throw new DBusErrnoException(Errno.EINVAL, "the variant must hold a file descriptor or the integer -1");
                }

                return await LegacyMountAsync(call, url, readWrite, null, cancellationToken);
            case var other:
                throw new DBusErrnoException(
                    Errno.EINVAL, $"the variant must hold a file descriptor (h) or -1 (i), not \"{other}\"");
        }
    }

    private async ValueTask<MessageBody?> LegacyMountAsync(
        MethodCall call, string url, bool readWrite, SafeFileHandle? pipe, CancellationToken cancellationToken)
    {
        MountSecret secret;
        ImageUrl image;
        try
        {
            secret = pipe is null ? MountSecret.None : await MountSecret.ReadAsync(pipe, SecretTimeout, cancellationToken);
        }
        catch (DBusErrnoException e)
        {
            _logger.LogError("{Slot}: mount refused: {Reason}", _slot.Name, e.ErrorMessage);
            throw;
        }

        using (secret)
        {
            try
            {
                image = ImageUrl.Parse(url);
            }
            catch (DBusErrnoException e)
            {
                _logger.LogError("{Slot}: mount refused: {Reason}", _slot.Name, e.ErrorMessage);
                throw;
            }

            await _slot.MountLegacyAsync(image, readWrite, secret, call.Answered, cancellationToken);
        }

        return True();
    }

    private async ValueTask<MessageBody?> ProxyMountAsync(MethodCall call, CancellationToken cancellationToken)
    {
        await _slot.MountProxyAsync(call.Answered);
        return True();
    }

    private async ValueTask<MessageBody?> UnmountAsync(MethodCall call, CancellationToken cancellationToken)
    {
        await _slot.UnmountAsync();
        return True();
    }

    private static MessageBody True()
    {
        var reply = MethodCall.CreateReply("b");
        reply.WriteBool(true);
        return reply;
    }

    private static void AddIf(List<string> names, bool changed, string name)
    {
        if (changed)
        {
            names.Add(name);
        }
    }
}
