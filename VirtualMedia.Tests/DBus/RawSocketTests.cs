using System.Buffers.Binary;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using VirtualMedia.DBus;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.DBus;

/// <summary>A hostile peer on a raw socket: a bad message costs that message only; broken framing costs its connection; others are still served.</summary>
public sealed partial class RawSocketTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private TempDirectory _directory = null!;
    private DBusServer _server = null!;
    private TestService _service = null!;

    [SetUp]
    public void StartServer()
    {
        _directory = new TempDirectory("vm-dbus-p2p");
        var tree = new DBusObjectTree();
        _service = new TestService();
        _service.Register(tree);
        _server = DBusServer.Listen("unix:path=" + _directory.Combine("peer"), tree);
    }

    [TearDown]
    public async Task StopServerAsync()
    {
        await _server.DisposeAsync();
        _directory.Dispose();
    }

    public static IEnumerable<TestCaseData> HostileMessages()
    {
        yield return new TestCaseData((Func<byte[]>)(() => Corrupt(Valid(1), 0, (byte)'X'))).SetName("Malformed: bad endianness byte");
        yield return new TestCaseData((Func<byte[]>)(() => Corrupt(Valid(1), 3, 2))).SetName("Malformed: protocol version 2");
        yield return new TestCaseData((Func<byte[]>)(() => Oversized())).SetName("Oversized: 200 MiB body announced, over the specification's 128 MiB");
        yield return new TestCaseData((Func<byte[]>)(() => Valid(1).AsSpan(0, 30).ToArray())).SetName("Truncated: the peer hangs up mid-message");
    }

    [TestCaseSource(nameof(HostileMessages))]
    public async Task A_hostile_peer_is_dropped_and_others_are_still_served(Func<byte[]> hostile)
    {
        await using var good = await DBusConnection.ConnectPeerAsync(_server.Address);
        using var raw = await ConnectRawAsync();

        await raw.SendAsync(hostile());
        raw.Shutdown(SocketShutdown.Send);

        (await ReceiveUntilClosedAsync(raw)).Should().BeEmpty("the server sends nothing back and closes");
        using var reply = await good.CallMethodAsync(null, TestService.Path, TestService.Interface, "Increment", timeout: Timeout);
        reply.GetReader().ReadInt32().Should().BePositive();

        // The server forgets a peer just after it closes its socket, so the hostile one may still be counted for a moment.
        await Wait.UntilAsync(() => _server.ConnectionCount == 1, Timeout, "the good peer is the only one left");
    }

    public static IEnumerable<TestCaseData> RefusedMessages()
    {
        yield return new TestCaseData((Func<byte[]>)(() => Corrupt(Valid(7), 40, (byte)'-')), DBusErrorNames.InvalidArgs).SetName("Refused: unparseable header (a '-' in the object path)");
        yield return new TestCaseData((Func<byte[]>)(() => Truncated()), DBusErrorNames.InvalidArgs).SetName("Refused: body string runs past the message end");
        yield return new TestCaseData((Func<byte[]>)(() => Large(5 * 1024 * 1024)), DBusErrorNames.LimitsExceeded).SetName("Refused: 5 MiB call, over the 4 MiB limit");
    }

    [TestCaseSource(nameof(RefusedMessages))]
    public async Task A_bad_call_with_sane_framing_gets_an_error_and_the_connection_goes_on(Func<byte[]> bad, string errorName)
    {
        using var raw = await ConnectRawAsync();

        await raw.SendAsync(bad());
        await raw.SendAsync(WireMessages.MethodCall(null, serial: 8, path: "/", member: "Ping", interfaceName: "org.freedesktop.DBus.Peer"));
        // Calls are handled concurrently, so the two replies may come in either order (CI saw the Ping's first).
        var replies = new[] { await ReceiveMessageAsync(raw), await ReceiveMessageAsync(raw) };
        var refusal = replies.Should().ContainSingle(m => m.ReplySerial == 7u, "the bad call is answered").Which;
        var ping = replies.Should().ContainSingle(m => m.ReplySerial == 8u, "the Ping is answered").Which;

        refusal.Type.Should().Be(MessageType.Error);
        refusal.ErrorName.Should().Be(errorName);
        ping.Type.Should().Be(MessageType.MethodReturn);
        _server.RecentFailures.Should().BeEmpty();
    }

    [Test]
    public async Task A_protocol_error_is_reported_with_its_reason()
    {
        using var raw = await ConnectRawAsync();

        await raw.SendAsync(Oversized());

        (await ReceiveUntilClosedAsync(raw)).Should().BeEmpty();
        await WaitForFailureAsync();
        _server.RecentFailures.Should().ContainSingle().Which.Should().BeOfType<DBusProtocolException>().Which.Message.Should().Contain("exceeds");
    }

    [Test]
    public async Task A_peer_that_does_not_start_with_NUL_is_refused()
    {
        using var raw = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await raw.ConnectAsync(new UnixDomainSocketEndPoint(_directory.Combine("peer")));

        await raw.SendAsync("AUTH EXTERNAL 30\r\n"u8.ToArray());

        (await ReceiveUntilClosedAsync(raw)).Should().BeEmpty();
        await WaitForFailureAsync();
        _server.RecentFailures.Should().ContainSingle().Which.Should().BeOfType<DBusAuthenticationException>();
    }

    [Test]
    public async Task No_reply_is_sent_to_a_call_flagged_no_reply_expected()
    {
        using var raw = await ConnectRawAsync();
        var before = _service.Increments;

        await raw.SendAsync(WireMessages.MethodCall(null, serial: 1, path: TestService.Path, member: "Increment", flags: MessageFlags.NoReplyExpected, interfaceName: TestService.Interface));
        await raw.SendAsync(WireMessages.MethodCall(null, serial: 2, path: "/", member: "Ping", interfaceName: "org.freedesktop.DBus.Peer"));
        var first = await ReceiveMessageAsync(raw);

        first.Type.Should().Be(MessageType.MethodReturn);
        first.ReplySerial.Should().Be(2u, "the first answer is the Ping's: the flagged call got none");
        (await _service.IncrementsAfterAsync(before, Timeout)).Should().Be(before + 1, "the flagged call still ran");
    }

    [Test]
    public async Task Pipelined_authentication_and_first_call_are_both_served()
    {
        using var raw = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await raw.ConnectAsync(new UnixDomainSocketEndPoint(_directory.Combine("peer")));

        byte[] pipelined = [.. AuthBytes(), .. WireMessages.MethodCall(null, serial: 5, path: "/", member: "Ping", interfaceName: "org.freedesktop.DBus.Peer")];
        await raw.SendAsync(pipelined);
        var reply = await ReceiveMessageAsync(raw, skipAuthLines: 2);

        reply.ReplySerial.Should().Be(5u);
    }

    private async Task WaitForFailureAsync()
    {
        // The server records the failure just after it closes the socket.
        for (var i = 0; i < 100 && _server.RecentFailures.Count == 0; i++)
        {
            await Task.Delay(20);
        }
    }

    private static byte[] Valid(uint serial) =>
        WireMessages.MethodCall(null, serial, TestService.Path, "Increment", interfaceName: TestService.Interface);

    private static byte[] Corrupt(byte[] bytes, int offset, byte value)
    {
        bytes[offset] = value;
        return bytes;
    }

    private static byte[] Truncated()
    {
        using var body = MessageBody.Create("s");
        body.WriteRaw(Convert.FromHexString("ff000000" + "6100"), 1);
        return WireMessages.MethodCall(body, serial: 7, path: TestService.Path, member: "Echo", interfaceName: TestService.Interface);
    }

    private static byte[] Large(int length)
    {
        using var body = MessageBody.Create("s");
        body.WriteString(new string('a', length));
        return WireMessages.MethodCall(body, serial: 7, path: TestService.Path, member: "Echo", interfaceName: TestService.Interface);
    }

    private static byte[] Oversized()
    {
        var bytes = Valid(1);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), 200 * 1024 * 1024);
        return bytes;
    }

    private static byte[] AuthBytes()
    {
        var uid = Convert.ToHexStringLower(Encoding.ASCII.GetBytes(GetEffectiveUserId().ToString(CultureInfo.InvariantCulture)));
        return Encoding.ASCII.GetBytes($"\0AUTH EXTERNAL {uid}\r\nNEGOTIATE_UNIX_FD\r\nBEGIN\r\n");
    }

    private async Task<Socket> ConnectRawAsync()
    {
        var raw = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await raw.ConnectAsync(new UnixDomainSocketEndPoint(_directory.Combine("peer")));
        await raw.SendAsync(AuthBytes());
        var lines = await ReceiveLinesAsync(raw, 2);
        lines[0].Should().StartWith("OK ");
        lines[1].Should().Be("AGREE_UNIX_FD");
        return raw;
    }

    private static async Task<string[]> ReceiveLinesAsync(Socket raw, int count)
    {
        var text = new StringBuilder();
        var buffer = new byte[1];
        using var timeout = new CancellationTokenSource(Timeout);
        while (text.ToString().Split("\r\n").Length <= count)
        {
            if (await raw.ReceiveAsync(buffer, timeout.Token) == 0)
            {
                break;
            }

            text.Append((char)buffer[0]);
        }

        return text.ToString().Split("\r\n")[..count];
    }

    private static async Task<DBusMessage> ReceiveMessageAsync(Socket raw, int skipAuthLines = 0)
    {
        await ReceiveLinesAsync(raw, skipAuthLines);
        using var timeout = new CancellationTokenSource(Timeout);
        var header = new byte[16];
        await ReceiveExactlyAsync(raw, header, timeout.Token);
        var length = MessageParser.ReadFrame(header).Length;
        var bytes = new byte[length];
        header.CopyTo(bytes, 0);
        await ReceiveExactlyAsync(raw, bytes.AsMemory(16), timeout.Token);
        return WireMessages.Parse(bytes);
    }

    private static async Task ReceiveExactlyAsync(Socket raw, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (buffer.Length > 0)
        {
            var received = await raw.ReceiveAsync(buffer, cancellationToken);
            received.Should().BePositive("the server must answer");
            buffer = buffer[received..];
        }
    }

    private static async Task<byte[]> ReceiveUntilClosedAsync(Socket raw)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var all = new List<byte>();
        var buffer = new byte[4096];
        int received;
        while ((received = await raw.ReceiveAsync(buffer, timeout.Token)) > 0)
        {
            all.AddRange(buffer.AsSpan(0, received));
        }

        return [.. all];
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUserId();
}
