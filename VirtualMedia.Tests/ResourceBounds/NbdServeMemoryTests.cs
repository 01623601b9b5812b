using System.Collections.Concurrent;
using System.Diagnostics;
using VirtualMedia.Tests.Infrastructure;
using VirtualMedia.Tests.Nbd;
using static VirtualMedia.Tests.ResourceBounds.ProcessResources;

namespace VirtualMedia.Tests.ResourceBounds;

/// <summary>The NBD memory budget, seen from outside as resident memory of the real program (`serve`, the server a legacy
/// slot runs): 64 clients asking for 32 MiB reads, clients that never read their replies, and clients that vanish with
/// reads in flight. Before the budget (issue 11.2) 5 such clients held 1.2 GiB; before replies let go of their buffer,
/// 64 clients that stayed connected after a 32 MiB read each kept one alive (OutOfMemoryException in serve).</summary>
[TestFixture]
[NonParallelizable]
public sealed class NbdServeMemoryTests
{
    private const uint ReadSize = 32 * 1024 * 1024;
    private const int Clients = 64;

    /// <summary>serve's request buffers for all clients together (<c>--cache-mib 8</c> gives the 48 MiB floor).</summary>
    private const long Budget = 48 * MiB;

    /// <summary>What may come on top of the budget: socket buffers in the kernel are not the process's, but thread stacks,
    /// the GC's slack and the buffers of 64 connections are.</summary>
    private const long Slack = 64 * MiB;

    [Test]
    public async Task SixtyFourClientsReadingThirtyTwoMiBThenVanishingStayWithinTheBudget()
    {
        using var directory = new TempDirectory("vm-serve-memory");
        var image = directory.Combine("sparse.img");
        await using (var file = File.Create(image))
        {
            file.SetLength(1L << 30);
        }

        var socket = directory.Combine("nbd.sock");
        using var serve = ExternalProcess.Start(ServiceProcess.Program,
            ["serve", "file://" + image, "--image-dir", directory.Path, "--socket", socket, "--cache-mib", "8"]);
        var output = new ConcurrentQueue<string>();
        var pump = ExternalProcess.CollectLinesAsync(serve, output);
        try
        {
            await Wait.UntilAsync(() => File.Exists(socket), TimeSpan.FromSeconds(30), "serve to listen");
            var pid = serve.Id;

            // Well-behaved: every client asks for 32 MiB and reads the whole reply, all at once. The budget serves them a
            // few at a time, so the last reply starts only after ~2 GiB went to the others: on a slow CI host that is
            // longer than one read's usual timeout.
            var idle = Resident(pid);
            var readers = await OpenAsync(socket, Clients);
            foreach (var reader in readers)
            {
                reader.Timeout = TimeSpan.FromMinutes(2);
            }

            using var stop = new CancellationTokenSource();
            var sampler = SamplePeakAsync(pid, stop.Token);
            await Task.WhenAll(readers.Select(async (client, i) =>
            {
                await client.SendRequestAsync(0, 1, (ulong)(i % 32) * ReadSize, ReadSize);
                (await client.ReadSimpleReplyAsync()).Error.Should().Be(0);
                (await client.DiscardAsync(ReadSize)).Should().Be(ReadSize);
            }));
            await CloseAsync(readers);

            // Hostile: every client asks for 8 reads of 32 MiB, reads nothing, then vanishes with them in flight.
            var deaf = await OpenAsync(socket, Clients);
            foreach (var (client, i) in deaf.Select((client, i) => (client, i)))
            {
                for (ulong read = 0; read < 8; read++)
                {
                    await client.SendRequestAsync(0, read, (((ulong)i + read) % 32) * ReadSize, ReadSize);
                }
            }

            await Task.Delay(TimeSpan.FromSeconds(3));
            await CloseAsync(deaf);
            await Task.Delay(TimeSpan.FromSeconds(2));
            stop.Cancel();
            var sampledPeak = await sampler;
            var after = Resident(pid);
            var peak = Math.Max(PeakResident(pid), sampledPeak);

            TestContext.Out.WriteLine(
                $"serve RSS: idle {idle / MiB} MiB, peak {peak / MiB} MiB, after the clients vanished {after / MiB} MiB");
            serve.HasExited.Should().BeFalse();
            peak.Should().BeLessThanOrEqualTo(idle + Budget + Slack, "the buffers of all clients together stay within the budget");
            after.Should().BeLessThanOrEqualTo(idle + Budget + (Slack / 2), "what vanished clients started is given back");
        }
        finally
        {
            await ExternalProcess.StopAsync(serve);
            await pump;
            TestContext.Out.WriteLine(string.Join('\n', output));
        }
    }

    private static async Task<RawNbdSocket[]> OpenAsync(string socket, int count) =>
        await Task.WhenAll(Enumerable.Range(0, count).Select(async _ =>
        {
            var client = await RawNbdSocket.ConnectAsync(socket);
            await client.GreetAsync();
            await client.GoAsync();
            return client;
        }));

    private static async Task CloseAsync(IEnumerable<RawNbdSocket> clients)
    {
        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }
    }

    /// <summary>The highest VmRSS seen every 50 ms until <paramref name="token"/> is cancelled (VmHWM is the kernel's own).</summary>
    private static Task<long> SamplePeakAsync(int pid, CancellationToken token) =>
        Task.Run(async () =>
        {
            var peak = 0L;
            var clock = Stopwatch.StartNew();
            while (!token.IsCancellationRequested && clock.Elapsed < TimeSpan.FromMinutes(5))
            {
                peak = Math.Max(peak, Resident(pid));
                await Task.Delay(50, CancellationToken.None);
            }

            return peak;
        });
}
