using System.Security.Cryptography;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.Nbd;

/// <summary>The server against real NBD clients: libnbd's tools and qemu-img.</summary>
[TestFixture]
public sealed class NbdPeerTests
{
    [Test]
    public async Task NbdinfoSeesSizeFlagsAndBlockSizes()
    {
        await using var served = NbdTestExport.Start(size: 3 * 1024 * 1024);

        var info = await NbdPeers.InfoJsonAsync(served.Uri);

        info.GetProperty("export-size").GetInt64().Should().Be(3 * 1024 * 1024);
        info.GetProperty("is_read_only").GetBoolean().Should().BeTrue();
        info.GetProperty("can_flush").GetBoolean().Should().BeFalse();
        info.GetProperty("can_multi_conn").GetBoolean().Should().BeTrue();
        info.GetProperty("can_trim").GetBoolean().Should().BeFalse();
        info.GetProperty("block_size_minimum").GetInt64().Should().Be(1);
        info.GetProperty("block_size_preferred").GetInt64().Should().Be(4096);
        info.GetProperty("block_size_maximum").GetInt64().Should().Be(32 * 1024 * 1024);
        info.GetProperty("description").GetString().Should().Be("test image");
    }

    [Test]
    public async Task NbdinfoSeesAWritableExportWithFlushAndTrim()
    {
        await using var served = NbdTestExport.Start(writable: true);

        var info = await NbdPeers.InfoJsonAsync(served.Uri);

        info.GetProperty("is_read_only").GetBoolean().Should().BeFalse();
        info.GetProperty("can_flush").GetBoolean().Should().BeTrue();
        info.GetProperty("can_fua").GetBoolean().Should().BeTrue();
        info.GetProperty("can_trim").GetBoolean().Should().BeTrue();
    }

    [Test]
    public async Task NbdcopyOfTheWholeExportMatchesTheImage()
    {
        await using var served = NbdTestExport.Start(size: 24 * 1024 * 1024 + 4096 + 17);
        using var target = new TempDirectory("vm-nbdcopy");

        var copied = await NbdPeers.CopySha256Async(served.Uri, target.Combine("copy.img"));

        copied.Should().Be(Convert.ToHexString(SHA256.HashData(served.Content)));
        served.Export.BytesRead.Should().Be(served.Content.Length);
    }

    [Test]
    public async Task QemuImgComparesTheExportEqualToTheImage()
    {
        await using var served = NbdTestExport.Start(size: 8 * 1024 * 1024);
        var qemuImg = Require.Tool("qemu-img");

        var info = (await ExternalProcess.RunAsync(qemuImg, ["info", "--output=json", served.Uri])).EnsureSuccess("qemu-img info");
        info.StandardOutput.Should().Contain("\"virtual-size\": 8388608");
        (await ExternalProcess.RunAsync(qemuImg, ["compare", "-f", "raw", "-F", "raw", served.Uri, served.ImagePath]))
            .EnsureSuccess("qemu-img compare");

        // Compare must be able to fail: keep the original aside and change the image behind the export.
        var original = Path.Combine(Path.GetDirectoryName(served.ImagePath)!, "original.img");
        await File.WriteAllBytesAsync(original, served.Content);
        await using (var file = new FileStream(served.ImagePath, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            file.Position = 5_000_000;
            file.WriteByte((byte)(served.Content[5_000_000] ^ 0xff));
        }

        var differing = await ExternalProcess.RunAsync(
            qemuImg, ["compare", "-f", "raw", "-F", "raw", served.Uri, original]);
        differing.ExitCode.Should().NotBe(0);
    }

    [Test]
    public async Task NbdshRandomReadsMatchAndBadRequestsGetTheRightErrors()
    {
        await using var served = NbdTestExport.Start(size: 4 * 1024 * 1024);
        var script = $$"""
            import errno, hashlib, random
            expected = open('{{served.ImagePath}}', 'rb').read()
            rng = random.Random(7)
            for i in range(200):
                length = rng.choice([1, 512, 4096, 65536, 1048576])
                offset = rng.randrange(0, len(expected) - length + 1)
                assert h.pread(length, offset) == expected[offset:offset + length], (offset, length)
            h.set_strict_mode(0)
            try:
                h.pread(4096, len(expected) - 100)
                raise SystemExit('out-of-range read succeeded')
            except nbd.Error as e:
                assert e.errnum == errno.EINVAL, e
            try:
                h.pwrite(b'x' * 512, 0)
                raise SystemExit('write to read-only export succeeded')
            except nbd.Error as e:
                assert e.errnum == errno.EPERM, e
            assert h.pread(512, 0) == expected[:512]
            assert h.get_structured_replies_negotiated()
            print('ok')
            """;

        var result = await NbdPeers.NbdshAsync(served.Uri, script);

        result.EnsureSuccess("nbdsh");
        result.StandardOutput.Trim().Should().Be("ok");
        served.Export.ReadRequests.Should().Be(201);
    }

    [Test]
    public async Task NbdshWritesFlushesAndTrimsAWritableExport()
    {
        await using var served = NbdTestExport.Start(size: 2 * 1024 * 1024, writable: true);
        var script = """
            data = bytes(range(256)) * 64
            h.pwrite(data, 65536, nbd.CMD_FLAG_FUA)
            assert h.pread(len(data), 65536) == data
            h.flush()
            h.trim(65536, 0)
            assert h.can_trim() and h.can_fua() and h.can_flush() and not h.is_read_only()
            print('ok')
            """;

        var result = await NbdPeers.NbdshAsync(served.Uri, script);

        result.EnsureSuccess("nbdsh").StandardOutput.Trim().Should().Be("ok");
        served.Export.WriteRequests.Should().Be(1);
        (await File.ReadAllBytesAsync(served.ImagePath)).AsSpan(65536 + 256, 256).ToArray()
            .Should().Equal(Enumerable.Range(0, 256).Select(i => (byte)i));
    }
}
