using System.Net.Sockets;
using VirtualMedia.Nbd;
using VirtualMedia.Nbd.Client;
using VirtualMedia.Tests.Infrastructure;
using static VirtualMedia.Tests.Nbd.RawNbdSocket;

namespace VirtualMedia.Tests.Nbd;

/// <summary>Clients that ask for much, hang up or never read: the server's buffers stay within its budget and
/// everything an abandoned client started is cancelled and given back.</summary>
[TestFixture]
public sealed class NbdMemoryBoundTests
{
    private const uint MiB = 1024 * 1024;
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    [Test]
    public async Task SixtyFourClientsAskingForThirtyTwoMiBReadsStayWithinTheBudget()
    {
        var source = new StallingImageSource(1L << 30);
        await using var served = Serve(source, new NbdServerOptions());
        var budget = served.Server.Budget;
        var clients = await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => ConnectInTransmissionAsync(served.SocketPath)));

        foreach (var (client, i) in clients.Select((client, i) => (client, i)))
        {
            for (ulong read = 0; read < 8; read++)
            {
                await client.SendRequestAsync(0, read, (((ulong)i + read) % 32) * 32 * MiB, 32 * MiB);
            }
        }

        await Wait.UntilAsync(() => budget.Waiting == 64, Limit, "every client's next read to wait for room");
        source.ActiveReads.Should().Be(1, "48 MiB hold one 32 MiB read at a time");
        budget.BytesInUse.Should().Be(32 * MiB);
        budget.PeakBytesInUse.Should().BeLessThanOrEqualTo(budget.Limit);

        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }

        await Wait.UntilAsync(() => served.Server.ActiveConnections == 0, Limit, "every connection to end");
        source.ReadsCancelled.Should().Be(source.ReadsStarted, "nobody is left to read the replies");
        budget.BytesInUse.Should().Be(0);
        budget.Waiting.Should().Be(0);
        budget.PeakBytesInUse.Should().BeLessThanOrEqualTo(budget.Limit);
    }

    [Test]
    public async Task ClientsThatHangUpWithReadsInFlightHaveThemCancelledAndReleased()
    {
        var source = new StallingImageSource(1L << 30);
        await using var served = Serve(source, new NbdServerOptions());
        var clients = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => ConnectInTransmissionAsync(served.SocketPath)));
        foreach (var client in clients)
        {
            for (ulong read = 0; read < 8; read++)
            {
                await client.SendRequestAsync(0, read, read * MiB, MiB);
            }
        }

        await Wait.UntilAsync(() => source.ActiveReads == 40, Limit, "all 40 reads to reach the source");
        served.Server.BufferBytesInUse.Should().Be(40 * MiB);

        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }

        await Wait.UntilAsync(() => served.Server.ActiveConnections == 0, Limit, "every connection to end");
        source.ReadsCancelled.Should().Be(40, "a client that hung up cannot take the data");
        source.ActiveReads.Should().Be(0);
        served.Server.BufferBytesInUse.Should().Be(0);
    }

    [Test]
    public async Task AClientThatDisconnectsAndShutsItsSideStillGetsItsRepliesFirst()
    {
        var source = new StallingImageSource(1L << 30);
        await using var served = Serve(source, new NbdServerOptions());
        await using var client = await ConnectInTransmissionAsync(served.SocketPath);
        await client.SendRequestAsync(0, 1, 0, 32 * MiB);
        await client.SendRequestAsync(0, 2, 32 * MiB, 32 * MiB);
        await client.SendRequestAsync(2, 3, 0, 0);
        client.ShutdownSend();
        await Wait.UntilAsync(() => served.Server.Budget.Waiting == 1, Limit, "the second read to wait for room");

        source.FinishReads();

        var handles = new List<ulong>();
        for (var i = 0; i < 2; i++)
        {
            var (error, handle) = await client.ReadSimpleReplyAsync();
            error.Should().Be(0);
            (await client.ReadAsync((int)(32 * MiB))).Should().OnlyContain(b => b == (byte)(handle == 1 ? 0 : 32));
            handles.Add(handle);
        }

        handles.Should().BeEquivalentTo([1ul, 2ul]);
        (await client.IsClosedByServerAsync()).Should().BeTrue();
        source.ReadsCancelled.Should().Be(0);
    }

    [Test]
    public async Task NbdshExitingWithReadsInFlightHasThemCancelledAndReleased()
    {
        var source = new StallingImageSource(1L << 30);
        await using var served = Serve(source, new NbdServerOptions());
        var marker = served.Directory.Combine("hang-up");
        var script = $$"""
            import os
            for i in range(8):
                h.aio_pread(nbd.Buffer(32 * 2**20), i * 32 * 2**20)
            while not os.path.exists('{{marker}}'):
                h.poll(100)
            os._exit(0)
            """;

        var nbdsh = NbdPeers.NbdshAsync($"nbd+unix:///?socket={served.SocketPath}", script);
        try
        {
            await Wait.UntilAsync(
                () => Task.FromResult(source.ActiveReads == 1 && served.Server.Budget.Waiting == 1),
                Limit,
                () => "a read at the source and the next waiting for room",
                giveUp: () => nbdsh.IsCompleted);
        }
        catch (AssertionException) when (nbdsh.IsCompleted)
        {
            (await nbdsh).EnsureSuccess("nbdsh");
            throw;
        }

        await File.WriteAllTextAsync(marker, string.Empty);
        (await nbdsh).EnsureSuccess("nbdsh");

        await Wait.UntilAsync(() => served.Server.ActiveConnections == 0, Limit, "the connection to end");
        source.ReadsCancelled.Should().Be(source.ReadsStarted);
        served.Server.BufferBytesInUse.Should().Be(0);
        served.Server.Budget.Waiting.Should().Be(0);
    }

    [Test]
    public async Task AClientThatNeverReadsRepliesHoldsNoMoreThanTheBudgetAndOthersAreStillServed()
    {
        var source = new StallingImageSource(1L << 30, stall: false);
        await using var served = Serve(source, new NbdServerOptions());
        var budget = served.Server.Budget;
        await using var deaf = await ConnectInTransmissionAsync(served.SocketPath);
        for (ulong read = 0; read < 8; read++)
        {
            await deaf.SendRequestAsync(0, read, read * 32 * MiB, 32 * MiB);
        }

        await Wait.UntilAsync(() => budget.Waiting == 1, Limit, "the second read to wait behind the unsent first reply");
        budget.BytesInUse.Should().Be(32 * MiB);

        await using (var reader = await NbdClient.ConnectUnixAsync(served.SocketPath))
        {
            var data = new byte[MiB];
            await reader.ReadAsync(5 * MiB, data);
            data.Should().OnlyContain(b => b == 5, "the rest of the budget still serves other clients");
        }

        budget.PeakBytesInUse.Should().BeLessThanOrEqualTo(budget.Limit);
        await deaf.DisposeAsync();
        await Wait.UntilAsync(() => served.Server.ActiveConnections == 0, Limit, "the deaf client's connection to end");
        budget.BytesInUse.Should().Be(0);
        budget.Waiting.Should().Be(0);
    }

    [Test]
    public async Task SixtyFourSimultaneousConnectsAllGetIn()
    {
        await using var served = Serve(new StallingImageSource(MiB, stall: false), new NbdServerOptions());
        var sockets = new List<Socket>();
        try
        {
            // Non-blocking connects fail with EAGAIN instead of waiting when the listen backlog is full.
            for (var i = 0; i < 64; i++)
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { Blocking = false };
                sockets.Add(socket);
                socket.Connect(new UnixDomainSocketEndPoint(served.SocketPath));
            }

            foreach (var socket in sockets)
            {
                socket.Blocking = true;
                await using var stream = new NetworkStream(socket, ownsSocket: false);
                using var timeout = new CancellationTokenSource(Limit);
                var greeting = new byte[18];
                await stream.ReadExactlyAsync(greeting, timeout.Token);
                greeting.AsSpan(0, 8).ToArray().Should().Equal("NBDMAGIC"u8.ToArray());
            }
        }
        finally
        {
            sockets.ForEach(socket => socket.Dispose());
        }
    }

    private static ServedSource Serve(IImageSource source, NbdServerOptions options) => ServedSource.Start(source, options);
}
