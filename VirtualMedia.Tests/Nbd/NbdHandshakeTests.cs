using System.Buffers.Binary;
using static VirtualMedia.Tests.Nbd.RawNbdSocket;

namespace VirtualMedia.Tests.Nbd;

/// <summary>Option haggling corner cases, spoken as raw bytes.</summary>
[TestFixture]
public sealed class NbdHandshakeTests
{
    private const uint ErrUnsupported = 0x80000001;
    private const uint ErrInvalid = 0x80000003;
    private const uint ErrUnknown = 0x80000006;

    [Test]
    public async Task GreetingOffersFixedNewstyleAndNoZeroes()
    {
        await using var served = NbdTestExport.Start();
        await using var raw = await ConnectAsync(served.SocketPath);

        (await raw.GreetAsync()).Should().Be(3);
    }

    [Test]
    public async Task UnknownClientFlagsCloseTheConnection()
    {
        await using var served = NbdTestExport.Start();
        await using var raw = await ConnectAsync(served.SocketPath);
        await raw.GreetAsync(clientFlags: 0x80);

        (await raw.IsClosedByServerAsync()).Should().BeTrue();
    }

    [Test]
    public async Task UnknownOptionsAndStartTlsAreUnsupportedAndHagglingContinues()
    {
        await using var served = NbdTestExport.Start();
        await using var raw = await ConnectAsync(served.SocketPath);
        await raw.GreetAsync();

        await raw.SendOptionAsync(42, [1, 2, 3]);
        (await raw.ReadOptionReplyAsync()).Should().Match<(uint Option, uint Type, byte[] Data)>(r => r.Option == 42 && r.Type == ErrUnsupported);
        await raw.SendOptionAsync(5, []);
        (await raw.ReadOptionReplyAsync()).Type.Should().Be(ErrUnsupported);

        (await raw.GoAsync()).Should().NotBe(0);
    }

    [Test]
    public async Task ListNamesTheExportAndRejectsPayload()
    {
        await using var served = NbdTestExport.Start();
        await using var raw = await ConnectAsync(served.SocketPath);
        await raw.GreetAsync();

        await raw.SendOptionAsync(3, []);
        var server = await raw.ReadOptionReplyAsync();
        server.Type.Should().Be(2);
        server.Data.Should().Equal(U32(0));
        (await raw.ReadOptionReplyAsync()).Type.Should().Be(1);

        await raw.SendOptionAsync(3, [0]);
        (await raw.ReadOptionReplyAsync()).Type.Should().Be(ErrInvalid);
    }

    [Test]
    public async Task InfoAnswersUnknownExportsMalformedRequestsAndNameRequests()
    {
        await using var served = NbdTestExport.Start();
        await using var raw = await ConnectAsync(served.SocketPath);
        await raw.GreetAsync();

        await raw.SendOptionAsync(6, [.. U32(4), .. Utf8("nope"), .. U16(0)]);
        (await raw.ReadOptionReplyAsync()).Type.Should().Be(ErrUnknown);

        await raw.SendOptionAsync(6, [.. U32(100), .. U16(0)]);
        (await raw.ReadOptionReplyAsync()).Type.Should().Be(ErrInvalid);

        await raw.SendOptionAsync(6, [.. U32(0), .. U16(2), .. U16(1), .. U16(2)]);
        var replies = new List<byte[]>();
        while (true)
        {
            var (_, type, data) = await raw.ReadOptionReplyAsync();
            if (type == 1)
            {
                break;
            }

            type.Should().Be(3);
            replies.Add(data);
        }

        replies.Select(r => BinaryPrimitives.ReadUInt16BigEndian(r)).Should().BeEquivalentTo(new ushort[] { 0, 3, 1, 2 });
        replies.Single(r => r[1] == 2).Skip(2).Should().Equal(Utf8("test image"));

        // INFO does not end haggling: GO still works afterwards.
        (await raw.GoAsync()).Should().NotBe(0);
    }

    [Test]
    public async Task AbortIsAcknowledgedThenClosed()
    {
        await using var served = NbdTestExport.Start();
        await using var raw = await ConnectAsync(served.SocketPath);
        await raw.GreetAsync();

        await raw.SendOptionAsync(2, []);
        (await raw.ReadOptionReplyAsync()).Type.Should().Be(1);
        (await raw.IsClosedByServerAsync()).Should().BeTrue();
    }

    [TestCase(true, 10)]
    [TestCase(false, 134)]
    public async Task ExportNameHonoursNoZeroes(bool noZeroes, int replyLength)
    {
        await using var served = NbdTestExport.Start();
        await using var raw = await ConnectAsync(served.SocketPath);
        await raw.GreetAsync(noZeroes ? 3u : 1u);

        await raw.SendOptionAsync(1, []);
        var reply = await raw.ReadAsync(replyLength);
        BinaryPrimitives.ReadInt64BigEndian(reply).Should().Be(served.Content.Length);
        reply.Skip(10).All(b => b == 0).Should().BeTrue();

        await raw.SendRequestAsync(0, 99, 512, 16);
        (await raw.ReadSimpleReplyAsync()).Should().Be((0u, 99ul));
        (await raw.ReadAsync(16)).Should().Equal(served.Content.AsSpan(512, 16).ToArray());
    }

    [Test]
    public async Task ExportNameForAnUnknownExportCloses()
    {
        await using var served = NbdTestExport.Start();
        await using var raw = await ConnectAsync(served.SocketPath);
        await raw.GreetAsync();

        await raw.SendOptionAsync(1, Utf8("nope"));
        (await raw.IsClosedByServerAsync()).Should().BeTrue();
    }

    [Test]
    public async Task OversizedOrBadlyFramedOptionsClose()
    {
        await using var served = NbdTestExport.Start();
        await using var raw = await ConnectAsync(served.SocketPath);
        await raw.GreetAsync();

        await raw.WriteAsync([.. U64(OptionMagic), .. U32(3), .. U32(1 << 30)]);
        (await raw.IsClosedByServerAsync()).Should().BeTrue();

        await using var second = await ConnectAsync(served.SocketPath);
        await second.GreetAsync();
        await second.WriteAsync([.. U64(0x1234), .. U32(3), .. U32(0)]);
        (await second.IsClosedByServerAsync()).Should().BeTrue();
    }
}
