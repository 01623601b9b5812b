using VirtualMedia.Nbd;
using VirtualMedia.Nbd.Client;
using VirtualMedia.Service.Activation;
using VirtualMedia.Service.ImageSources;
using VirtualMedia.Service.Urls;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.ImageSources;

/// <summary>The whole chain with real peers: nginx (TLS) → HttpRangeSource → NbdServer → nbdcopy / qemu-img / nbdsh.</summary>
[TestFixture]
public sealed class HttpNbdExportTests
{
    private NginxServer _nginx = null!;
    private TempDirectory _work = null!;
    private string _iso = null!;

    [OneTimeSetUp]
    public async Task StartNginxWithAnIso()
    {
        var xorriso = Require.Tool("xorriso");
        _nginx = await NginxServer.StartAsync();
        _work = new TempDirectory("vm-iso");
        var content = _work.Combine("content");
        Directory.CreateDirectory(Path.Combine(content, "boot"));
        var random = new Random(3);
        foreach (var (name, size) in new[] { ("boot/kernel.bin", 3_000_000), ("readme.txt", 1000), ("data.bin", 9_000_001) })
        {
            var bytes = new byte[size];
            random.NextBytes(bytes);
            await File.WriteAllBytesAsync(Path.Combine(content, name), bytes);
        }

        _iso = Path.Combine(_nginx.Root, "install.iso");
        (await ExternalProcess.RunAsync(xorriso, ["-as", "mkisofs", "-quiet", "-R", "-J", "-V", "VMTEST", "-o", _iso, content]))
            .EnsureSuccess("xorriso");
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        await _nginx.DisposeAsync();
        _work.Dispose();
    }

    [Test]
    public async Task NbdcopyOfAnIsoOverHttpsMatchesAndQemuImgAgrees()
    {
        await using var served = await ServeAsync(_nginx.HttpsUrl("images/install.iso"));

        var copied = await NbdPeers.CopySha256Async(served.Uri, _work.Combine("copy.iso"));
        copied.Should().Be(await NbdPeers.Sha256Async(_iso));
        (await ExternalProcess.RunAsync(Require.Tool("qemu-img"), ["compare", "-f", "raw", "-F", "raw", served.Uri, _iso]))
            .EnsureSuccess("qemu-img compare");
        var info = await NbdPeers.InfoJsonAsync(served.Uri);
        info.GetProperty("export-size").GetInt64().Should().Be(new FileInfo(_iso).Length);
        info.GetProperty("is_read_only").GetBoolean().Should().BeTrue();
        info.GetProperty("can_multi_conn").GetBoolean().Should().BeFalse("a copy split over connections thrashes the one read-ahead cache");
    }

    // Past the source's outage budget (1 s here) the source has failed for good: the export keeps answering, every
    // read with EIO at once, also once the server is back; a new export of the same URL (a new Mount) reads again.
    [Test]
    public async Task NginxStoppingMidReadGivesEioRepliesAndTheServerStaysUp()
    {
        await using var served = await ServeAsync(_nginx.HttpsUrl("images/install.iso"));
        await using var client = await NbdClient.ConnectUnixAsync(served.Listener.SocketPath);
        await client.ReadAsync(0, new byte[4096]);

        await _nginx.StopAsync();
        try
        {
            var act = () => client.ReadAsync(8_000_000, new byte[65536]);
            (await act.Should().ThrowAsync<NbdRequestException>()).Which.Errno.Should().Be(Errno.EIO);
        }
        finally
        {
            await _nginx.RestartAsync();
        }

        var again = () => client.ReadAsync(8_000_000, new byte[65536]);
        (await again.Should().ThrowAsync<NbdRequestException>()).Which.Errno.Should().Be(Errno.EIO, "the source failed for good");
        await using var remounted = await ServeAsync(_nginx.HttpsUrl("images/install.iso"));
        await using var fresh = await NbdClient.ConnectUnixAsync(remounted.Listener.SocketPath);
        var buffer = new byte[65536];
        await fresh.ReadAsync(8_000_000, buffer);
        buffer.Should().Equal((await File.ReadAllBytesAsync(_iso)).AsSpan(8_000_000, 65536).ToArray());
    }

    // One client with 8 MiB of reads in flight, as much as the default cache (a kernel NBD device with a deep queue):
    // its reads filled the cache and left the read-ahead no room, and went around the cache, a GET each (16-76 GETs for
    // this image; 9 with the window). The connection's read window keeps it within what the cache can lend: a stream,
    // its successors and the reads before it is known as sequential.
    [Test]
    public async Task OneClientWithADeepQueueOfLargeReadsIsStreamedNotReadAroundTheCache()
    {
        var image = await _nginx.ServeRandomImageAsync("deep.img", 256 * 1024 * 1024, seed: 8);
        string copied;
        await using (var served = await ServeAsync(_nginx.HttpsUrl("images/deep.img")))
        {
            copied = await NbdPeers.CopySha256Async(
                served.Uri, _work.Combine("deep.img"), "-C", "1", "-R", "8", "--request-size=1048576");
        }

        copied.Should().Be(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(image)));
        // nginx logs a GET once it ends: those the source let go end as its connections close.
        await Task.Delay(200);
        _nginx.AccessLog().Count(line => line.Contains("/deep.img", StringComparison.Ordinal))
            .Should().BeLessThanOrEqualTo(12, "a probe, a few reads before the reader is known as sequential, four streamed GETs");
        File.Delete(_work.Combine("deep.img"));
        File.Delete(Path.Combine(_nginx.Root, "deep.img"));
    }

    [Test]
    public async Task NbdshRandomReadsOverHttpsMatch()
    {
        await using var served = await ServeAsync(_nginx.HttpsUrl("images/install.iso"));
        var script = $$"""
            import random
            expected = open('{{_iso}}', 'rb').read()
            rng = random.Random(11)
            for i in range(100):
                length = rng.choice([512, 4096, 131072, 1048576])
                offset = rng.randrange(0, len(expected) - length + 1)
                assert h.pread(length, offset) == expected[offset:offset + length], (offset, length)
            print('ok')
            """;

        var result = await NbdPeers.NbdshAsync(served.Uri, script);

        result.EnsureSuccess("nbdsh").StandardOutput.Trim().Should().Be("ok");
    }

    private static async Task<ServedUrl> ServeAsync(string url)
    {
        var source = await new ImageSourceFactory().CreateAsync(
            ImageUrl.FromCommandLine(url), new ImageSourceOptions { SkipCertificateVerification = true, OutageBudget = TimeSpan.FromSeconds(1) }, null, CancellationToken.None);
        var directory = new TempDirectory("vm-nbd");
        var listener = NbdUnixListener.Start(new NbdServer(new NbdExport(source)), directory.Combine("run/nbd.sock"));
        return new ServedUrl(source, listener, directory);
    }

    private sealed record ServedUrl(IImageSource Source, NbdUnixListener Listener, TempDirectory Directory) : IAsyncDisposable
    {
        public string Uri => $"nbd+unix:///?socket={Listener.SocketPath}";

        public async ValueTask DisposeAsync()
        {
            await Listener.DisposeAsync();
            await Source.DisposeAsync();
            Directory.Dispose();
        }
    }
}
