using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using VirtualMedia.Nbd;
using VirtualMedia.Service.Activation;
using VirtualMedia.Service.ImageSources;
using VirtualMedia.Service.ImageSources.Http;
using VirtualMedia.Service.Urls;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.ImageSources;

/// <summary>Web images from a real nginx (TLS, HTTP/2, auth_basic, no-Range and redirect locations).</summary>
[TestFixture]
public sealed class HttpRangeSourceTests() : NginxImageFixture(ImageSize, seed: 42)
{
    private const int ImageSize = (24 * 1024 * 1024) + 12345;

    [TestCase(false)]
    [TestCase(true)]
    public async Task ReadsMatchTheImage(bool http2)
    {
        await using var source = await OpenAsync(Nginx.HttpsUrl("images/disk.img"), Insecure with { PreferHttp2 = http2 });

        source.Size.Should().Be(ImageSize);
        source.IsWritable.Should().BeFalse();
        ((HttpRangeSource)source).HttpVersion.Should().Be(
            http2 ? HttpVersion.Version20 : HttpVersion.Version11, "nginx offers h2 over TLS, and HTTP/1.1 is the default");
        var random = new Random(1);
        foreach (var length in new[] { 1, 4096, 65536, 100_000, 1 << 20, 12345 })
        {
            var offset = random.NextInt64(0, ImageSize - length + 1);
            var buffer = new byte[length];
            await source.ReadAsync(offset, buffer, CancellationToken.None);
            buffer.Should().Equal(Image.AsSpan((int)offset, length).ToArray(), $"offset {offset} length {length}");
        }

        var tail = new byte[12345];
        await source.ReadAsync(ImageSize - tail.Length, tail, CancellationToken.None);
        tail.Should().Equal(Image.AsSpan(ImageSize - tail.Length).ToArray());
    }

    [Test]
    public async Task ConcurrentReadersOfOneBlockCauseOneFetch()
    {
        await using var source = await OpenAsync(Nginx.HttpsUrl("images/disk.img"), Insecure);
        var before = Nginx.AccessLog().Length;

        var buffers = Enumerable.Range(0, 8).Select(_ => new byte[4096]).ToArray();
        await Task.WhenAll(buffers.Select(b => source.ReadAsync(10_000_000, b, CancellationToken.None).AsTask()));

        buffers.Should().AllSatisfy(b => b.Should().Equal(Image.AsSpan(10_000_000, 4096).ToArray()));
        (await ReadsLoggedSinceAsync(before, 1)).Should().ContainSingle();
    }

    [Test]
    public async Task SequentialReaderIsServedByStreamedGetsAhead()
    {
        const int StreamBytes = 8 * 1024 * 1024;
        await using var source = await OpenAsync(Nginx.HttpsUrl("images/disk.img"), Insecure with { StreamSize = StreamBytes });
        var before = Nginx.AccessLog().Length;

        var buffer = new byte[256 * 1024];
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (long offset = 0; offset < ImageSize; offset += buffer.Length)
        {
            var chunk = buffer.AsMemory(0, (int)Math.Min(buffer.Length, ImageSize - offset));
            await source.ReadAsync(offset, chunk, CancellationToken.None);
            hash.AppendData(chunk.Span);
        }

        Convert.ToHexString(hash.GetHashAndReset()).Should().Be(Convert.ToHexString(SHA256.HashData(Image)));
        var requests = await ReadsLoggedSinceAsync(before, 1);
        // The first three reads are fetched as they come (not yet a stream), the fourth misses and fetches a run of
        // pages (3 MiB of the default 8 MiB cache); from there one streamed GET per 8 MiB (not per 3 MiB run).
        requests.Length.Should().BeLessThanOrEqualTo(4 + 3, string.Join("\n", requests));
        requests.Count(r => RangeLength(r) == StreamBytes).Should().BeGreaterThanOrEqualTo(
            2, "the read-ahead asks for a whole stream's bytes at once: " + string.Join("\n", requests));
    }

    [Test]
    public async Task StreamedGetIsLetGoWhenItsReaderStops()
    {
        // More than this machine's socket buffers take (tcp_rmem's 32 MiB and tcp_wmem's 4 MiB): nginx logs the
        // streamed GET only once the service closes it, not once it has handed the kernel the last byte.
        const int LongImageSize = 96 * 1024 * 1024;
        var image = await Nginx.ServeRandomImageAsync("long.img", LongImageSize, seed: 7);
        // The stream asks for the rest of the image at once. It lets it go after the reader pause (1 s), well within
        // the 5 s waited here, and long before a 10 s stall timeout would end it as the server's fault.
        await using var source = await OpenAsync(
            Nginx.HttpsUrl("images/long.img"), Insecure with { StallTimeout = TimeSpan.FromSeconds(10), StreamSize = LongImageSize });
        var before = Nginx.AccessLog().Length;

        var buffer = new byte[256 * 1024];
        for (var offset = 0; offset < 2 * 1024 * 1024; offset += buffer.Length)
        {
            await source.ReadAsync(offset, buffer, CancellationToken.None);
            buffer.Should().Equal(image.AsSpan(offset, buffer.Length).ToArray());
        }

        var requests = await ReadsLoggedSinceAsync(before, 5, TimeSpan.FromSeconds(5));
        requests.Should().Contain(r => r.EndsWith($"-{LongImageSize - 1}", StringComparison.Ordinal), string.Join("\n", requests));
        await source.ReadAsync(2 * 1024 * 1024, buffer, CancellationToken.None);
        buffer.Should().Equal(image.AsSpan(2 * 1024 * 1024, buffer.Length).ToArray());
    }

    [Test]
    public async Task RandomReaderFetchesOnlyTheBlocksItTouchesAndRereadsFromTheCache()
    {
        await using var source = await OpenAsync(Nginx.HttpsUrl("images/disk.img"), Insecure);
        var before = Nginx.AccessLog().Length;

        await ReadAndCheckAsync(source, 10_000_100, 100);
        await ReadAndCheckAsync(source, 10_000_000, 2000);
        await ReadAndCheckAsync(source, 10_010_000, 4096);
        await ReadAndCheckAsync(source, 9_990_000, 8_000);

        // 4 KiB blocks: each read fetches just its blocks not in yet, never the span between them and the blocks its
        // 64 KiB page already holds (the third read skips the block between, 10002432-10006527).
        (await ReadsLoggedSinceAsync(before, 3)).Should().Equal(
            "206 /images/disk.img bytes=9998336-10002431",
            "206 /images/disk.img bytes=10006528-10014719",
            "206 /images/disk.img bytes=9986048-9998335");
    }

    [Test]
    public async Task RandomReaderOfASmallImageIsNotReadAheadOf()
    {
        // A 24 MiB image and the default 8 MiB read-ahead: most random reads fall within reach of an earlier one, and
        // were taken for a sequential reader (whole pages and streams fetched, the cache churned, re-reads fetched again).
        await using var source = await OpenAsync(Nginx.HttpsUrl("images/disk.img"), Insecure);
        var before = Nginx.AccessLog().Length;
        var random = new Random(3);
        var blocks = Enumerable.Range(0, 64).Select(_ => random.Next(0, ImageSize / 4096)).Distinct().ToArray();
        foreach (var block in blocks)
        {
            await ReadAndCheckAsync(source, block * 4096, 4096);
        }

        var reads = await ReadsLoggedSinceAsync(before, blocks.Length);
        reads.Select(RangeLength).Should().AllBeEquivalentTo(4096, string.Join("\n", reads));

        foreach (var block in blocks)
        {
            await ReadAndCheckAsync(source, block * 4096, 4096);
        }

        await Task.Delay(TimeSpan.FromMilliseconds(500));
        (await ReadsLoggedSinceAsync(before, blocks.Length)).Should().HaveCount(blocks.Length, "re-reads come from the cache");
    }

    [Test]
    public async Task UntrustedCertificateIsRefusedUnlessTrustedOrSkipped()
    {
        var act = () => OpenAsync(Nginx.HttpsUrl("images/disk.img"), new ImageSourceOptions());
        var error = (await act.Should().ThrowAsync<ImageSourceException>()).Which;
        error.Errno.Should().Be(Errno.EACCES);
        error.Message.Should().Contain("127.0.0.1").And.Contain("TLS");

        await using var trusted = await OpenAsync(
            Nginx.HttpsUrl("images/disk.img"), new ImageSourceOptions { CaDirectory = Nginx.CaDirectory });
        trusted.Size.Should().Be(ImageSize);
    }

    [Test]
    public async Task BasicAuthenticationIsRequiredAndNeverLeaks()
    {
        var url = Nginx.HttpsUrl("private/disk.img");
        var refused = () => OpenAsync(url, Insecure);
        (await refused.Should().ThrowAsync<ImageSourceException>()).Which.Errno.Should().Be(Errno.EACCES);

        var wrong = () => OpenAsync(url, Insecure, new NetworkCredential(NginxServer.User, "wrong-Password-42"));
        (await wrong.Should().ThrowAsync<ImageSourceException>()).Which.Message.Should().NotContain("wrong-Password-42");

        await using var source = await OpenAsync(url, Insecure, new NetworkCredential(NginxServer.User, NginxServer.Password));
        var buffer = new byte[4096];
        await source.ReadAsync(8192, buffer, CancellationToken.None);
        buffer.Should().Equal(Image.AsSpan(8192, 4096).ToArray());

        var inUrl = $"https://{NginxServer.User}:{NginxServer.Password}@127.0.0.1:{Nginx.HttpsPort}/private/disk.img";
        await using var fromUrl = await OpenAsync(inUrl, Insecure);
        fromUrl.Size.Should().Be(ImageSize);
        var missing = () => OpenAsync(inUrl.Replace("disk.img", "missing.img", StringComparison.Ordinal), Insecure);
        var notFound = (await missing.Should().ThrowAsync<ImageSourceException>()).Which;
        notFound.Errno.Should().Be(Errno.ENOENT);
        notFound.Message.Should().NotContain(NginxServer.Password).And.NotContain(NginxServer.User).And.Contain("missing.img");
    }

    [Test]
    public async Task ServerWithoutRangeSupportIsRefused()
    {
        var act = () => OpenAsync(Nginx.HttpsUrl("norange/disk.img"), Insecure);
        var error = (await act.Should().ThrowAsync<ImageSourceException>()).Which;
        error.Errno.Should().Be(Errno.ENOTSUP);
        error.Message.Should().Contain("range");
    }

    [Test]
    public async Task RedirectsAreRefusedUnlessEnabled()
    {
        var url = Nginx.HttpsUrl("moved/disk.img");
        var act = () => OpenAsync(url, Insecure);
        var error = (await act.Should().ThrowAsync<ImageSourceException>()).Which;
        error.Errno.Should().Be(Errno.ENOTSUP);
        error.Message.Should().Contain("/images/disk.img");

        await using var source = await OpenAsync(url, Insecure with { AllowRedirects = true });
        var buffer = new byte[100];
        await source.ReadAsync(5, buffer, CancellationToken.None);
        buffer.Should().Equal(Image.AsSpan(5, 100).ToArray());
    }

    [Test]
    public async Task PlainHttpIsOffByDefaultAndNeverCarriesCredentials()
    {
        var url = Nginx.HttpUrl("images/disk.img");
        var off = () => OpenAsync(url, new ImageSourceOptions());
        (await off.Should().ThrowAsync<ImageSourceException>()).Which.Errno.Should().Be(Errno.ENOTSUP);

        var withCredentials = () => OpenAsync(url, new ImageSourceOptions { AllowHttp = true }, new NetworkCredential("u", "p"));
        (await withCredentials.Should().ThrowAsync<ImageSourceException>()).Which.Errno.Should().Be(Errno.EPERM);

        await using var source = await OpenAsync(url, new ImageSourceOptions { AllowHttp = true });
        source.Size.Should().Be(ImageSize);
    }

    [TestCase("smb://server/share/disk.iso")]
    [TestCase("nfs://server/export/disk.iso")]
    [TestCase("ftp://server/disk.iso")]
    public async Task OtherSchemesAreNotSupportedHere(string url)
    {
        var act = () => OpenAsync(url, Insecure);
        (await act.Should().ThrowAsync<ImageSourceException>()).Which.Errno.Should().Be(Errno.ENOTSUP);
    }

    [TestCase("")]
    [TestCase("not a url")]
    [TestCase("/just/a/path.iso")]
    public async Task MalformedUrlsAreEinval(string url)
    {
        var act = () => OpenAsync(url, Insecure);
        (await act.Should().ThrowAsync<ImageSourceException>()).Which.Errno.Should().Be(Errno.EINVAL);
    }

    [Test]
    public async Task ClosedPortIsConnectionRefused()
    {
        var port = Nginx.HttpsPort;
        await Nginx.StopAsync();
        try
        {
            var act = () => OpenAsync($"https://127.0.0.1:{port}/images/disk.img", Insecure);
            (await act.Should().ThrowAsync<ImageSourceException>()).Which.Errno.Should().Be(Errno.ECONNREFUSED);
        }
        finally
        {
            await Nginx.RestartAsync();
        }
    }

    [TestCase("images", TestName = "ImageChangingUnderUsIsEio(pinned by its ETag)")]
    [TestCase("noetag", TestName = "ImageChangingUnderUsIsEio(pinned by its Last-Modified)")]
    public async Task ImageChangingUnderUsIsEio(string location)
    {
        var path = Path.Combine(Nginx.Root, "changing.img");
        await File.WriteAllBytesAsync(path, Image.AsSpan(0, 1 << 20).ToArray());
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(-5));
        await using var source = await OpenAsync(Nginx.HttpsUrl($"{location}/changing.img"), Insecure);
        // While the image is the one probed, If-Range matches and the range comes (a malformed one would get 200).
        var first = new byte[4096];
        await source.ReadAsync(0, first, CancellationToken.None);
        first.Should().Equal(Image.AsSpan(0, 4096).ToArray());
        // Replaced by an image of the same size: only the validator tells the two apart.
        await File.WriteAllBytesAsync(path, Image.AsSpan(1 << 20, 1 << 20).ToArray());
        var before = Nginx.AccessLog().Length;

        var act = async () => await source.ReadAsync(512 * 1024, new byte[4096], CancellationToken.None);
        var error = (await act.Should().ThrowAsync<ImageSourceException>()).Which;
        error.Errno.Should().Be(Errno.EIO);
        error.Message.Should().Contain("changed");
        // The GET carried If-Range with the probe's validator, so nginx answered with the whole new image (200), not
        // with the range of it (206).
        (await ReadsLoggedSinceAsync(before, 1)).Should().ContainSingle().Which.Should().StartWith("200 ");
    }

    /// <summary>The length of the range an access-log line asked for ("bytes=FROM-TO").</summary>
    private static long RangeLength(string line)
    {
        var range = line[(line.LastIndexOf('=') + 1)..].Split('-');
        return long.Parse(range[1], CultureInfo.InvariantCulture) - long.Parse(range[0], CultureInfo.InvariantCulture) + 1;
    }

    private async Task ReadAndCheckAsync(IImageSource source, int offset, int length)
    {
        var buffer = new byte[length];
        await source.ReadAsync(offset, buffer, CancellationToken.None);
        buffer.Should().Equal(Image.AsSpan(offset, length).ToArray(), $"offset {offset} length {length}");
    }

    /// <summary>
    /// The image reads nginx logged after its first <paramref name="before"/> lines, once at least <paramref name="expected"/>
    /// are there: nginx logs a request after answering it, and the open's probe (bytes=0-0) may be logged late.
    /// </summary>
    private async Task<string[]> ReadsLoggedSinceAsync(int before, int expected, TimeSpan? timeout = null)
    {
        string[] reads = [];
        await Wait.UntilAsync(
            () => Task.FromResult((reads = [.. Nginx.AccessLog().Skip(before).Where(l => !l.EndsWith(" bytes=0-0", StringComparison.Ordinal))]).Length >= expected),
            timeout ?? TimeSpan.FromSeconds(10), () => $"{expected} reads in nginx's access log, not {reads.Length}");
        return reads;
    }

    private static async Task<IImageSource> OpenAsync(string url, ImageSourceOptions options, NetworkCredential? credentials = null) =>
        await new ImageSourceFactory().CreateAsync(ImageUrl.FromCommandLine(url), options, credentials, CancellationToken.None);
}
