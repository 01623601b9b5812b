using System.Buffers.Binary;
using VirtualMedia.Nbd;
using VirtualMedia.Nbd.Client;
using VirtualMedia.Nbd.Sources;
using VirtualMedia.Tests.Infrastructure;
using static VirtualMedia.Tests.Nbd.RawNbdSocket;

namespace VirtualMedia.Tests.Nbd;

/// <summary>Request validation, pipelining and replies, spoken as raw bytes.</summary>
[TestFixture]
public sealed class NbdTransmissionTests
{
    private const uint Einval = 22;

    [TestCase((ushort)0, (ushort)1, 0u, 16u, TestName = "READ with FUA")]
    [TestCase((ushort)0, (ushort)0, 0u, 0u, TestName = "READ of zero bytes")]
    [TestCase((ushort)0, (ushort)0, 0u, 33554433u, TestName = "READ above the maximum")]
    [TestCase((ushort)5, (ushort)0, 0u, 16u, TestName = "CACHE, not advertised")]
    [TestCase((ushort)7, (ushort)0, 0u, 16u, TestName = "BLOCK_STATUS, not negotiated")]
    [TestCase((ushort)3, (ushort)0, 0u, 0u, TestName = "FLUSH on a source without flush")]
    [TestCase((ushort)99, (ushort)0, 0u, 0u, TestName = "unknown command")]
    public async Task InvalidRequestsGetEinvalAndTheConnectionGoesOn(ushort command, ushort flags, uint offset, uint length)
    {
        await using var served = NbdTestExport.Start();
        await using var raw = await ConnectAsync(served.SocketPath);
        await raw.GreetAsync();
        await raw.GoAsync();

        await raw.SendRequestAsync(command, 1, offset, length, flags);
        (await raw.ReadSimpleReplyAsync()).Should().Be((Einval, 1ul));

        await raw.SendRequestAsync(0, 2, 0, 8);
        (await raw.ReadSimpleReplyAsync()).Should().Be((0u, 2ul));
        (await raw.ReadAsync(8)).Should().Equal(served.Content.AsSpan(0, 8).ToArray());
    }

    [Test]
    public async Task OffsetsThatWrapAroundAreOutOfRange()
    {
        await using var served = NbdTestExport.Start();
        await using var raw = await ConnectAsync(served.SocketPath);
        await raw.GreetAsync();
        await raw.GoAsync();

        await raw.SendRequestAsync(0, 1, ulong.MaxValue - 7, 16);
        (await raw.ReadSimpleReplyAsync()).Should().Be((Einval, 1ul));
    }

    [Test]
    public async Task WriteBeyondTheEndOfAWritableExportIsEnospcAndItsPayloadIsConsumed()
    {
        await using var served = NbdTestExport.Start(writable: true);
        await using var raw = await ConnectAsync(served.SocketPath);
        await raw.GreetAsync();
        await raw.GoAsync();

        await raw.SendRequestAsync(1, 1, (ulong)served.Content.Length - 8, 16, payload: new byte[16]);
        (await raw.ReadSimpleReplyAsync()).Should().Be((28u, 1ul));
        await raw.SendRequestAsync(0, 2, 0, 4);
        (await raw.ReadSimpleReplyAsync()).Should().Be((0u, 2ul));
    }

    [Test]
    public async Task BadRequestMagicOrHugeWriteClosesTheConnectionButNotTheServer()
    {
        await using var served = NbdTestExport.Start(writable: true);
        await using (var raw = await ConnectAsync(served.SocketPath))
        {
            await raw.GreetAsync();
            await raw.GoAsync();
            await raw.WriteAsync(new byte[28]);
            (await raw.IsClosedByServerAsync()).Should().BeTrue();
        }

        await using (var raw = await ConnectAsync(served.SocketPath))
        {
            await raw.GreetAsync();
            await raw.GoAsync();
            await raw.SendRequestAsync(1, 1, 0, 64 * 1024 * 1024);
            (await raw.IsClosedByServerAsync()).Should().BeTrue();
        }

        await using var client = await NbdClient.ConnectUnixAsync(served.SocketPath);
        await client.ReadAsync(0, new byte[16]);
    }

    [Test]
    public async Task PipelinedRequestsAreAnsweredOutOfOrder()
    {
        var source = new GatedImageSource(RandomBytes(1 << 20));
        await using var served = NbdTestExport.Start(source: source);
        await using var raw = await ConnectAsync(served.SocketPath);
        await raw.GreetAsync();
        await raw.GoAsync();
        source.Close(0);

        await raw.SendRequestAsync(0, 1, 0, 4096);
        await raw.SendRequestAsync(0, 2, 4096, 4096);
        (await raw.ReadSimpleReplyAsync()).Should().Be((0u, 2ul));
        await raw.ReadAsync(4096);
        source.Open(0);
        (await raw.ReadSimpleReplyAsync()).Should().Be((0u, 1ul));
    }

    [Test]
    public async Task InFlightRequestsAreBoundedPerConnection()
    {
        var source = new GatedImageSource(RandomBytes(1 << 20));
        using var directory = new TempDirectory("vm-nbd");
        var export = new NbdExport(source);
        await using var listener = NbdUnixListener.Start(
            new NbdServer(export, new NbdServerOptions { MaxInFlightRequests = 3 }), directory.Combine("nbd.sock"));
        await using var raw = await ConnectAsync(listener.SocketPath);
        await raw.GreetAsync();
        await raw.GoAsync();
        for (ulong i = 0; i < 8; i++)
        {
            source.Close((long)i * 4096);
            await raw.SendRequestAsync(0, i, i * 4096, 4096);
        }

        await Task.Delay(300);
        source.MaxActiveReads.Should().Be(3);
        for (ulong i = 0; i < 8; i++)
        {
            source.Open((long)i * 4096);
        }

        var handles = new List<ulong>();
        for (var i = 0; i < 8; i++)
        {
            var (error, handle) = await raw.ReadSimpleReplyAsync();
            error.Should().Be(0);
            await raw.ReadAsync(4096);
            handles.Add(handle);
        }

        handles.Should().BeEquivalentTo(Enumerable.Range(0, 8).Select(i => (ulong)i));
    }

    [Test]
    public async Task DisconnectAnswersWhatIsInFlightThenCloses()
    {
        var source = new GatedImageSource(RandomBytes(1 << 20));
        await using var served = NbdTestExport.Start(source: source);
        await using var raw = await ConnectAsync(served.SocketPath);
        await raw.GreetAsync();
        await raw.GoAsync();
        source.Close(8192);

        await raw.SendRequestAsync(0, 5, 8192, 512);
        await raw.SendRequestAsync(2, 6, 0, 0);
        source.Open(8192);

        (await raw.ReadSimpleReplyAsync()).Should().Be((0u, 5ul));
        await raw.ReadAsync(512);
        (await raw.IsClosedByServerAsync()).Should().BeTrue();
    }

    [Test]
    public async Task StructuredRepliesCarryDataAndErrorsForReads()
    {
        var content = RandomBytes(1 << 20);
        var source = new GatedImageSource(content);
        await using var served = NbdTestExport.Start(source: source);
        await using var raw = await ConnectAsync(served.SocketPath);
        await raw.GreetAsync();
        await raw.SendOptionAsync(8, []);
        (await raw.ReadOptionReplyAsync()).Type.Should().Be(1);
        var flags = await raw.GoAsync();
        (flags & 128).Should().Be(128, "DF is advertised once structured replies are on");

        await raw.SendRequestAsync(0, 7, 1000, 100, flags: 4);
        var chunk = await raw.ReadAsync(28);
        BinaryPrimitives.ReadUInt32BigEndian(chunk).Should().Be(0x668e33ef);
        BinaryPrimitives.ReadUInt16BigEndian(chunk.AsSpan(4)).Should().Be(1, "one chunk, flagged done");
        BinaryPrimitives.ReadUInt16BigEndian(chunk.AsSpan(6)).Should().Be(1, "OFFSET_DATA");
        BinaryPrimitives.ReadUInt64BigEndian(chunk.AsSpan(8)).Should().Be(7);
        BinaryPrimitives.ReadUInt32BigEndian(chunk.AsSpan(16)).Should().Be(108);
        BinaryPrimitives.ReadUInt64BigEndian(chunk.AsSpan(20)).Should().Be(1000);
        (await raw.ReadAsync(100)).Should().Equal(content.AsSpan(1000, 100).ToArray());

        source.Close(0);
        source.Fail(0);
        await raw.SendRequestAsync(0, 8, 0, 100);
        var error = await raw.ReadAsync(26);
        BinaryPrimitives.ReadUInt16BigEndian(error.AsSpan(6)).Should().Be(32769, "NBD_REPLY_TYPE_ERROR");
        BinaryPrimitives.ReadUInt64BigEndian(error.AsSpan(8)).Should().Be(8);
        BinaryPrimitives.ReadUInt32BigEndian(error.AsSpan(20)).Should().Be(5, "EIO");

        // Non-read commands still get simple replies.
        await raw.SendRequestAsync(3, 9, 0, 0);
        (await raw.ReadSimpleReplyAsync()).Should().Be((Einval, 9ul));
    }

    [Test]
    public async Task SeveralClientsAreServedAtOnce()
    {
        await using var served = NbdTestExport.Start();
        var clients = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => NbdClient.ConnectUnixAsync(served.SocketPath)));
        await Task.WhenAll(clients.Select(async (client, i) =>
        {
            var buffer = new byte[4096];
            await client.ReadAsync(i * 4096, buffer);
            buffer.Should().Equal(served.Content.AsSpan(i * 4096, 4096).ToArray());
        }));

        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }

        served.Export.ReadRequests.Should().Be(4);
    }

    [Test]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task SocketIsPrivateAndRemovedOnStop()
    {
        using var directory = new TempDirectory("vm-nbd");
        var socketDirectory = directory.Combine("run");
        var image = directory.Combine("image.img");
        await File.WriteAllBytesAsync(image, new byte[4096]);
        await using var source = FileImageSource.Open(image, writable: false);
        var listener = NbdUnixListener.Start(new NbdServer(new NbdExport(source)), Path.Combine(socketDirectory, "nbd.sock"));

        File.GetUnixFileMode(socketDirectory).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.GetUnixFileMode(listener.SocketPath).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await using (var client = await NbdClient.ConnectUnixAsync(listener.SocketPath))
        {
            await listener.DisposeAsync();
            File.Exists(listener.SocketPath).Should().BeFalse();
            var act = () => client.ReadAsync(0, new byte[16]);
            await act.Should().ThrowAsync<Exception>("the listener disconnected its clients");
        }

        var open = directory.Combine("open");
        Directory.CreateDirectory(open, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherExecute | UnixFileMode.OtherRead);
        var refused = () => NbdUnixListener.Start(new NbdServer(new NbdExport(source)), Path.Combine(open, "nbd.sock"));
        refused.Should().Throw<IOException>().WithMessage("*0700*");
    }

    private static byte[] RandomBytes(int size)
    {
        var bytes = new byte[size];
        new Random(size).NextBytes(bytes);
        return bytes;
    }
}
