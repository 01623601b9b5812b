using Microsoft.Win32.SafeHandles;
using VirtualMedia.DBus;

namespace VirtualMedia.Tests.DBus;

/// <summary>A server object exercising every library feature, served by tests to real peers.</summary>
public sealed class TestService
{
    public const string Interface = "org.virtualmedia.Test1";
    public const string Path = "/org/virtualmedia/test/Object_1";
    public const string ManagerPath = "/org/virtualmedia/test";
    public const string BusName = "org.virtualmedia.TestService";
    public const string ServerFdText = "hello from the server";

    /// <summary>Signatures the Echo method accepts (each returns its arguments unchanged).</summary>
    public static readonly string[] EchoSignatures =
    [
        "y", "b", "n", "q", "i", "u", "x", "t", "d", "s", "o", "g", "v", "ai", "as", "ay", "a{sv}", "a{oa{sa{sv}}}", "(ybnqiuxtdsog)", "a(is)", "aai", "sbh",
    ];

    private static readonly string[] StringsValue = ["a", "b"];
    private static readonly object[] StructValue = [7, "seven"];

    private int _increments;

    public TestService()
    {
        Test = new DBusInterface(Interface)
            .AddMethod("Mount", "sbh", "b", MountWithFdAsync, ["ImageURL", "ReadWrite", "FileDescriptor"], ["Result"])
            .AddMethod("Mount", "sbv", "b", MountWithVariantAsync)
            .AddMethod("ReadFd", "h", "s", ReadFdAsync, ["fd"], ["content"])
            .AddMethod("MakeFd", string.Empty, "h", MakeFd, outNames: ["fd"])
            .AddMethod("Slow", "i", "s", SlowAsync, ["milliseconds"])
            .AddMethod("Block", "i", "s", Block, ["milliseconds"])
            .AddMethod("Increment", string.Empty, "i", (_, _) => Int32Reply(Interlocked.Increment(ref _increments)))
            .AddMethod("Fail", "i", string.Empty, (call, _) => throw new DBusErrnoException(call.Reader.ReadInt32(), "failed on purpose"))
            .AddMethod("FailNamed", string.Empty, string.Empty, (_, _) => throw new DBusErrorException("org.virtualmedia.Error.Custom", "custom message"))
            .AddMethod("Crash", string.Empty, string.Empty, (_, _) => throw new InvalidOperationException("handler bug"))
            .AddMethod("Emit", "i", string.Empty, Emit)
            .AddMethod("SetString", "s", string.Empty, SetString)
            .AddMethod("Describe", "a{sv}", "a{sv}", EchoAsync)
            .AddSignal("Completion", "i", "Result")
            .AddProperty("Byte", "y", PropertyAccess.Read, v => v.WriteByte(200))
            .AddProperty("Bool", "b", PropertyAccess.ReadWrite, v => v.WriteBool(BoolValue), r => BoolValue = r.ReadBool())
            .AddProperty("Int16", "n", PropertyAccess.Read, v => v.WriteInt16(-12345))
            .AddProperty("UInt16", "q", PropertyAccess.Read, v => v.WriteUInt16(54321), emitsChangedSignal: EmitsChangedSignal.Const)
            .AddProperty("Int32", "i", PropertyAccess.ReadWrite, v => v.WriteInt32(Int32Value), r => Int32Value = r.ReadInt32())
            .AddProperty("UInt32", "u", PropertyAccess.Read, v => v.WriteUInt32(4000000000))
            .AddProperty("Int64", "x", PropertyAccess.Read, v => v.WriteInt64(-9000000000000))
            .AddProperty("UInt64", "t", PropertyAccess.Read, v => v.WriteUInt64(18000000000000000000), emitsChangedSignal: EmitsChangedSignal.Invalidates)
            .AddProperty("Double", "d", PropertyAccess.Read, v => v.WriteDouble(3.5))
            .AddProperty("String", "s", PropertyAccess.ReadWrite, v => v.WriteString(StringValue), r => StringValue = r.ReadString())
            .AddProperty("ObjectPath", "o", PropertyAccess.Read, v => v.WriteObjectPath(Path))
            .AddProperty("Signature", "g", PropertyAccess.Read, v => v.WriteSignature("a{sv}"))
            .AddProperty("Strings", "as", PropertyAccess.Read, v => DBusValue.Write(v, "as", StringsValue))
            .AddProperty("Struct", "(is)", PropertyAccess.Read, v => DBusValue.Write(v, "(is)", StructValue))
            .AddProperty("Hidden", "s", PropertyAccess.Read, v => v.WriteString("hidden"), emitsChangedSignal: EmitsChangedSignal.False)
            .AddProperty("ImageURL", "s", PropertyAccess.Read, v => v.WriteString(StringValue));
        foreach (var signature in EchoSignatures)
        {
            if (signature != "sbh")
            {
                Test.AddMethod("Echo", signature, signature, EchoAsync);
            }
        }
    }

    public DBusInterface Test { get; }

    public bool BoolValue { get; set; } = true;

    public int Int32Value { get; set; } = -42;

    public string StringValue { get; set; } = "initial";

    public DBusObject? Registered { get; private set; }

    /// <summary>What the last Mount received: signature, URL, read-write, secret (from the fd) or variant value.</summary>
    public (string Signature, string Url, bool ReadWrite, string Detail)? LastMount { get; private set; }

    public int Increments => Volatile.Read(ref _increments);

    /// <summary>The count once it passes <paramref name="before"/>, or as it stands after <paramref name="timeout"/>.</summary>
    /// <remarks>Handlers run concurrently with the connection's other calls, so a later reply does not prove an earlier call has run.</remarks>
    public async Task<int> IncrementsAfterAsync(int before, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Increments == before && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        return Increments;
    }

    /// <summary>The pipe the last MakeFd sent: the reply body closes the server's copy once the reply is sent.</summary>
    public ObservedFd? LastMadeFd { get; private set; }

    /// <summary>Registers the object (under an ObjectManager) in <paramref name="tree"/>.</summary>
    public DBusObject Register(DBusObjectTree tree)
    {
        tree.AddObjectManager(ManagerPath);
        Registered = tree.Register(Path, Test);
        return Registered;
    }

    private static ValueTask<MessageBody?> Int32Reply(int value)
    {
        var reply = MethodCall.CreateReply("i");
        reply.WriteInt32(value);
        return ValueTask.FromResult<MessageBody?>(reply);
    }

    private static ValueTask<MessageBody?> EchoAsync(MethodCall call, CancellationToken cancellationToken)
    {
        var reader = call.Reader;
        var reply = MethodCall.CreateReply(call.Signature);
        var index = 0;
        while (index < call.Signature.Length)
        {
            var length = VirtualMedia.DBus.Signature.CompleteTypeLength(call.Signature, index);
            var type = call.Signature.Substring(index, length);
            DBusValue.Write(reply, type, reader.ReadValue(type));
            index += length;
        }

        return ValueTask.FromResult<MessageBody?>(reply);
    }

    private static Task<string> ReadAllAsync(SafeFileHandle fd, CancellationToken cancellationToken) =>
        Task.Run(() => UnixPipe.ReadAll(fd), cancellationToken);

    private async ValueTask<MessageBody?> MountWithFdAsync(MethodCall call, CancellationToken cancellationToken)
    {
        var reader = call.Reader;
        var url = reader.ReadString();
        var readWrite = reader.ReadBool();
        using var fd = reader.ReadUnixFd();
        var secret = await ReadAllAsync(fd, cancellationToken);
        LastMount = ("sbh", url, readWrite, secret);
        var reply = MethodCall.CreateReply("b");
        reply.WriteBool(true);
        return reply;
    }

    private ValueTask<MessageBody?> MountWithVariantAsync(MethodCall call, CancellationToken cancellationToken)
    {
        var reader = call.Reader;
        var url = reader.ReadString();
        var readWrite = reader.ReadBool();
        var variant = (DBusVariant)reader.ReadValue("v");
        var detail = variant.Value is SafeFileHandle handle ? "fd" : $"{variant.Signature}:{variant.Value}";
        (variant.Value as IDisposable)?.Dispose();
        LastMount = ("sbv", url, readWrite, detail);
        var reply = MethodCall.CreateReply("b");
        reply.WriteBool(true);
        return ValueTask.FromResult<MessageBody?>(reply);
    }

    private static async ValueTask<MessageBody?> ReadFdAsync(MethodCall call, CancellationToken cancellationToken)
    {
        using var fd = call.Reader.ReadUnixFd();
        var content = await ReadAllAsync(fd, cancellationToken);
        var reply = MethodCall.CreateReply("s");
        reply.WriteString(content);
        return reply;
    }

    private ValueTask<MessageBody?> MakeFd(MethodCall call, CancellationToken cancellationToken)
    {
        var reply = MethodCall.CreateReply("h");
        LastMadeFd = new ObservedFd(UnixPipe.WithContent(ServerFdText));
        reply.WriteUnixFd(LastMadeFd, disposeWithBody: true);
        return ValueTask.FromResult<MessageBody?>(reply);
    }

    private static async ValueTask<MessageBody?> SlowAsync(MethodCall call, CancellationToken cancellationToken)
    {
        await Task.Delay(call.Reader.ReadInt32(), cancellationToken);
        var reply = MethodCall.CreateReply("s");
        reply.WriteString("slow done");
        return reply;
    }

    private static ValueTask<MessageBody?> Block(MethodCall call, CancellationToken cancellationToken)
    {
        // A handler that blocks its thread outright (bad practice, but it must not stall the connection).
        Thread.Sleep(call.Reader.ReadInt32());
        var reply = MethodCall.CreateReply("s");
        reply.WriteString("blocked");
        return ValueTask.FromResult<MessageBody?>(reply);
    }

    private ValueTask<MessageBody?> Emit(MethodCall call, CancellationToken cancellationToken)
    {
        var value = call.Reader.ReadInt32();
        var body = MessageBody.Create("i");
        body.WriteInt32(value);
        Registered!.EmitSignal(Interface, "Completion", body);
        return ValueTask.FromResult<MessageBody?>(null);
    }

    private ValueTask<MessageBody?> SetString(MethodCall call, CancellationToken cancellationToken)
    {
        StringValue = call.Reader.ReadString();
        Registered!.EmitPropertiesChanged(Interface, ["String", "ImageURL", "UInt64"]);
        return ValueTask.FromResult<MessageBody?>(null);
    }
}
