using System.Collections.Concurrent;
using System.Diagnostics;
using VirtualMedia.Nbd;
using VirtualMedia.Service.Activation;
using VirtualMedia.Service.ImageSources;
using VirtualMedia.Service.Urls;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.ImageSources;

/// <summary>A web image whose server goes away mid-use (nginx stopped, or the link to it cut): reads wait through an
/// outage within its budget, and past it the source fails for good, each told to the observer exactly once.</summary>
[TestFixture]
[NonParallelizable]
public sealed class HttpOutageTests() : NginxImageFixture(ImageSize, seed: 7)
{
    private const int ImageSize = 8 * 1024 * 1024;
    private static readonly TimeSpan Budget = Patience.Scale(TimeSpan.FromSeconds(4));

    [TearDown]
    public async Task ServerBack()
    {
        if (!Nginx.IsRunning)
        {
            await Nginx.RestartAsync();
        }
    }

    [Test]
    public async Task A_read_during_a_short_outage_waits_and_gets_the_right_bytes()
    {
        var health = new HealthRecorder();
        await using var source = await OpenAsync(Nginx.HttpsUrl("images/disk.img"), health);
        await ReadAndCheckAsync(source, 0, 4096);

        await Nginx.StopAsync();
        var reading = ReadAndCheckAsync(source, ImageSize - 65536, 65536);
        await Wait.UntilAsync(() => Task.FromResult(!health.Events.IsEmpty), Budget, "the outage to be noticed");
        await Task.Delay(Budget / 4);
        reading.IsCompleted.Should().BeFalse("the read waits while the server is away");
        await Nginx.RestartAsync();
        await reading;

        // The reader is served as its pages fill; the fetch reports its success just after.
        await Wait.UntilAsync(() => Task.FromResult(health.Events.Count == 2), Budget, "the outage's end to be told");
        health.Events.First().Should().StartWith("began: ").And.Contain("/images/disk.img");
        health.Events.Last().Should().StartWith("ended: ");
    }

    [Test]
    public async Task An_outage_past_its_budget_fails_every_read_with_EIO_once_and_for_good()
    {
        var health = new HealthRecorder();
        await using var source = await OpenAsync(Nginx.HttpsUrl("images/disk.img"), health);
        await ReadAndCheckAsync(source, 0, 4096);
        await Nginx.StopAsync();

        var clock = Stopwatch.StartNew();
        var read = () => source.ReadAsync(ImageSize - 4096, new byte[4096], CancellationToken.None).AsTask();
        (await read.Should().ThrowAsync<ImageSourceException>()).Which.Errno.Should().Be(Errno.EIO);
        clock.Elapsed.Should().BeGreaterThan(Budget - TimeSpan.FromSeconds(1)).And.BeLessThan(Budget + Patience.Scale(TimeSpan.FromSeconds(3)));
        health.Events.Should().HaveCount(2);
        health.Events.Last().Should().StartWith("failed: ").And.Contain("giving up");

        await Nginx.RestartAsync();
        clock.Restart();
        (await read.Should().ThrowAsync<ImageSourceException>()).Which.Errno.Should().Be(Errno.EIO);
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(1), "a source given up answers at once, even with its server back");
        health.Events.Should().HaveCount(2, "the failure is told once");
    }

    [Test]
    public async Task A_cut_link_stalls_reads_only_for_the_stall_time_per_attempt_and_recovers_when_restored()
    {
        await using var link = CuttableLink.To(Nginx.HttpsPort);
        var health = new HealthRecorder();
        await using var source = await OpenAsync($"https://127.0.0.1:{link.Port}/images/disk.img", health);
        await ReadAndCheckAsync(source, 0, 4096);

        link.Cut();
        var reading = ReadAndCheckAsync(source, ImageSize / 2, 1 << 20);
        await Wait.UntilAsync(() => Task.FromResult(!health.Events.IsEmpty), Budget, "a stalled fetch to count as a failure");
        health.Events.First().Should().Contain("no data for");
        link.Restore();
        await reading.WaitAsync(Budget);

        await Wait.UntilAsync(() => Task.FromResult(health.Events.Count == 2), Budget, "the outage's end to be told");
        health.Events.Last().Should().StartWith("ended: ");
    }

    [Test]
    public async Task A_next_stream_waiting_for_a_slow_reader_is_not_taken_for_a_stalled_server()
    {
        const int Page = 64 * 1024;
        var health = new HealthRecorder();
        // A 4 MiB streamed GET read through a window of a few pages: the next GET is asked for while the reader is
        // quick, then waits (reading nothing) while it slows to a page every 100 ms, woken at each page, for 2.4 s.
        // That is past the 1 s stall time, within which a GET must read or count as its server's failure.
        await using var source = await new ImageSourceFactory().CreateAsync(
            ImageUrl.FromCommandLine(Nginx.HttpsUrl("images/disk.img")),
            new ImageSourceOptions
            {
                SkipCertificateVerification = true,
                StallTimeout = TimeSpan.FromSeconds(1),
                StreamSize = 64 * Page,
                CacheSize = 16 * Page,
                HealthObserver = health,
            },
            null,
            CancellationToken.None);

        for (var page = 0; page < 96; page++)
        {
            await ReadAndCheckAsync(source, (long)page * Page, Page);
            if (page >= 40 && page < 64)
            {
                await Task.Delay(100);
            }
        }

        health.Events.Should().BeEmpty("a stream waiting for its reader lets its GET go before its silence counts");
    }

    private static async Task<IImageSource> OpenAsync(string url, HealthRecorder health) =>
        await new ImageSourceFactory().CreateAsync(
            ImageUrl.FromCommandLine(url),
            new ImageSourceOptions
            {
                SkipCertificateVerification = true,
                OutageBudget = Budget,
                StallTimeout = Budget / 4,
                HealthObserver = health,
                ProbeTimeout = Patience.Scale(TimeSpan.FromSeconds(10)),
            },
            null,
            CancellationToken.None);

    private async Task ReadAndCheckAsync(IImageSource source, long offset, int length)
    {
        var buffer = new byte[length];
        await source.ReadAsync(offset, buffer, CancellationToken.None);
        buffer.Should().Equal(Image.AsSpan((int)offset, length).ToArray());
    }

    private sealed class HealthRecorder : ISourceHealthObserver
    {
        public ConcurrentQueue<string> Events { get; } = new();

        public void OutageBegan(string reason) => Events.Enqueue("began: " + reason);

        public void OutageEnded(TimeSpan lasted) => Events.Enqueue($"ended: {lasted.TotalSeconds:0.0} s");

        public void SourceFailed(ImageSourceException failure) => Events.Enqueue("failed: " + failure.Message);
    }
}
