using System.Net.Sockets;
using System.Security.Cryptography;
using VirtualMedia.Nbd;
using VirtualMedia.Tests.Infrastructure;
using static VirtualMedia.Tests.Nbd.RawNbdSocket;

namespace VirtualMedia.Tests.Nbd;

/// <summary>A source that lends its memory: replies are sent from it with no request buffer, a declined lend is read
/// into a buffer as usual, and every lease is given back, also by clients that stop reading or hang up.</summary>
[TestFixture]
public sealed class NbdLendingTests
{
    private const int MiB = 1024 * 1024;
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    [Test]
    public async Task RepliesAreSentFromLentMemoryWithoutABuffer()
    {
        var content = RandomContent(8 * MiB);
        var source = new FakeLendingImageSource(content, pieceSize: 3000);
        await using var served = ServedSource.Start(source, new NbdServerOptions());
        using var target = new TempDirectory("vm-lend");

        // nbdcopy negotiates structured replies; the raw client below gets simple ones.
        (await NbdPeers.CopySha256Async(served.Uri, target.Combine("copy.img")))
            .Should().Be(Convert.ToHexString(SHA256.HashData(content)));
        await using (var client = await ConnectInTransmissionAsync(served.SocketPath))
        {
            await client.SendRequestAsync(0, 7, 12345, 100_000);
            (await client.ReadSimpleReplyAsync()).Should().Be((0u, 7ul));
            (await client.ReadAsync(100_000)).Should().Equal(content.AsSpan(12345, 100_000).ToArray());
        }

        source.Lent.Should().BeGreaterThan(32);
        source.CopiedReads.Should().Be(0);
        served.Server.Budget.PeakBytesInUse.Should().Be(0, "no read needed a buffer of the server's");
        await Wait.UntilAsync(() => source.Outstanding == 0, Limit, "every lease to be given back");
    }

    [Test]
    public async Task ASmallLentReplyLeavesInOneWriteAndALargeOneUncopied()
    {
        var content = RandomContent(4 * MiB);
        var source = new FakeLendingImageSource(content, pieceSize: 3000);
        var server = new NbdServer(new NbdExport(source), new NbdServerOptions());
        using var directory = new TempDirectory("vm-lend");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(directory.Combine("nbd.sock")));
        listener.Listen();
        var accepting = listener.AcceptAsync();
        await using var client = await ConnectAsync(directory.Combine("nbd.sock"));
        await using var stream = new WriteRecordingStream(new NetworkStream(await accepting, ownsSocket: true));
        var serving = server.ServeAsync(stream, CancellationToken.None);
        await client.GreetAsync();
        await client.GoAsync();
        stream.TakeWrites();

        // 4 KiB lent in two pieces: a random reader's read, sent with its 16-byte header in one write.
        await client.SendRequestAsync(0, 1, 12345, 4096);
        (await client.ReadSimpleReplyAsync()).Should().Be((0u, 1ul));
        (await client.ReadAsync(4096)).Should().Equal(content.AsSpan(12345, 4096).ToArray());
        stream.TakeWrites().Should().Equal(16 + 4096);

        // 100,000 bytes: the header, then each lent piece as it is, not copied.
        await client.SendRequestAsync(0, 2, MiB, 100_000);
        (await client.ReadSimpleReplyAsync()).Should().Be((0u, 2ul));
        (await client.ReadAsync(100_000)).Should().Equal(content.AsSpan(MiB, 100_000).ToArray());
        var writes = stream.TakeWrites();
        writes[0].Should().Be(16);
        writes.Skip(1).Should().OnlyContain(w => w <= 3000).And.HaveCount(34);

        await client.SendRequestAsync(2, 3, 0, 0);
        await serving.WaitAsync(Limit);
        source.CopiedReads.Should().Be(0);
        await Wait.UntilAsync(() => source.Outstanding == 0, Limit, "every lease to be given back");
    }

    [Test]
    public async Task ADeclinedLendIsReadIntoABufferFromTheBudget()
    {
        var content = RandomContent(4 * MiB);
        var source = new FakeLendingImageSource(content, pieceSize: 4096) { Declines = true };
        await using var served = ServedSource.Start(source, new NbdServerOptions());
        await using var client = await ConnectInTransmissionAsync(served.SocketPath);

        await client.SendRequestAsync(0, 1, MiB, MiB);
        (await client.ReadSimpleReplyAsync()).Should().Be((0u, 1ul));
        (await client.ReadAsync(MiB)).Should().Equal(content.AsSpan(MiB, MiB).ToArray());

        source.CopiedReads.Should().Be(1);
        source.Lent.Should().Be(0);
        served.Server.Budget.PeakBytesInUse.Should().Be(MiB);
        await Wait.UntilAsync(() => served.Server.BufferBytesInUse == 0, Limit, "the buffer to be given back");
    }

    [Test]
    public async Task AClientThatStopsReadingHoldsNoMoreLeasesThanItsReadsInFlightAndHangingUpGivesThemBack()
    {
        var content = RandomContent(64 * MiB);
        var source = new FakeLendingImageSource(content, pieceSize: 64 * 1024);
        var options = new NbdServerOptions();
        await using var served = ServedSource.Start(source, options);
        var client = await ConnectInTransmissionAsync(served.SocketPath);

        // 32 MiB asked for and none of it read: far more than the socket holds, so replies stop mid-write (the socket
        // may take a reply or two first).
        for (ulong read = 0; read < 32; read++)
        {
            await client.SendRequestAsync(0, read, read * MiB, MiB);
        }

        await Wait.UntilAsync(
            () => source.Outstanding == options.MaxInFlightRequests, Limit, "every read in flight to hold a lease");
        await Task.Delay(200);
        source.Outstanding.Should().Be(options.MaxInFlightRequests, "a lease lasts until its reply is sent");
        source.Lent.Should().BeLessThan(32, "the reads past those in flight wait unread on the socket");

        await client.DisposeAsync();
        await Wait.UntilAsync(() => served.Server.ActiveConnections == 0, Limit, "the connection to end");
        await Wait.UntilAsync(() => source.Outstanding == 0, Limit, "every lease to be given back");
        served.Server.BufferBytesInUse.Should().Be(0);
    }

    [Test]
    public async Task AConnectionServesNoMoreReadsAtOnceThanTheSourceCanLend()
    {
        // Replies of 4 MiB: the socket cannot take a whole one, so a read's lease lasts until its reply is read.
        const int Read = 4 * MiB;
        var content = RandomContent(64 * MiB);
        var source = new FakeLendingImageSource(content, pieceSize: 64 * 1024, lendableBytes: 3 * Read);
        await using var served = ServedSource.Start(source, new NbdServerOptions());
        await using var client = await ConnectInTransmissionAsync(served.SocketPath);

        // Eight reads at once and no reply read yet: three fit what the source can lend.
        for (ulong read = 0; read < 8; read++)
        {
            await client.SendRequestAsync(0, read, read * Read, Read);
        }

        await Wait.UntilAsync(() => source.Outstanding == 3, Limit, "three reads to hold leases");
        await Task.Delay(200);
        source.Lent.Should().Be(3, "the reads past the window wait on the socket");

        for (var i = 0; i < 8; i++)
        {
            var (error, handle) = await client.ReadSimpleReplyAsync();
            error.Should().Be(0u);
            (await client.ReadAsync(Read)).Should().Equal(content.AsSpan((int)handle * Read, Read).ToArray());
        }

        source.PeakOutstandingBytes.Should().Be(3 * Read);
        source.CopiedReads.Should().Be(0, "no read was declined");

        // A read larger than the window goes when nothing else is in flight.
        await client.SendRequestAsync(0, 9, 0, 4 * Read);
        (await client.ReadSimpleReplyAsync()).Should().Be((0u, 9ul));
        (await client.ReadAsync(4 * Read)).Should().Equal(content.AsSpan(0, 4 * Read).ToArray());
        await Wait.UntilAsync(() => source.Outstanding == 0, Limit, "every lease to be given back");
    }

    [Test]
    public async Task AClientThatHangsUpWhileItsReadsWaitForTheWindowLeavesNothingHeld()
    {
        const int Read = 4 * MiB;
        var source = new FakeLendingImageSource(RandomContent(32 * MiB), pieceSize: 64 * 1024, lendableBytes: 2 * Read);
        await using var served = ServedSource.Start(source, new NbdServerOptions());
        var client = await ConnectInTransmissionAsync(served.SocketPath);
        for (ulong read = 0; read < 8; read++)
        {
            await client.SendRequestAsync(0, read, read * Read, Read);
        }

        await Wait.UntilAsync(() => source.Outstanding == 2, Limit, "two reads to hold leases");
        await client.DisposeAsync();
        await Wait.UntilAsync(() => served.Server.ActiveConnections == 0, Limit, "the connection to end");
        await Wait.UntilAsync(() => source.Outstanding == 0, Limit, "every lease to be given back");
        source.Lent.Should().Be(2, "the waiting reads were never served");
        served.Server.BufferBytesInUse.Should().Be(0);
    }

    private static byte[] RandomContent(int size)
    {
        var content = new byte[size];
        new Random(size).NextBytes(content);
        return content;
    }
}
