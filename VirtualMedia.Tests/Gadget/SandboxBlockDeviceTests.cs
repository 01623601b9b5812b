using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using VirtualMedia.Gadget.BlockDevice;
using VirtualMedia.Gadget.Kernel;
using VirtualMedia.Gadget.Sandbox;
using VirtualMedia.Nbd;
using VirtualMedia.Nbd.Client;
using VirtualMedia.Nbd.Sources;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.Gadget;

/// <summary>NbdBlockDevice on the sandbox: our nbd-client stand-in, read through dev/nbdX.sock with the real nbdcopy.</summary>
[TestFixture]
public sealed class SandboxBlockDeviceTests
{
    private TempDirectory _dir = null!;
    private KernelSide _kernel = null!;

    [SetUp]
    public void CreateSandbox()
    {
        _dir = new TempDirectory("nbd-sandbox");
        _kernel = SandboxKernel.Create(_dir.Combine("root"));
    }

    [TearDown]
    public void RemoveSandbox() => _dir.Dispose();

    [Test]
    public async Task Attach_SetsTheSize_AndTheExportReadsTheImage()
    {
        var nbdcopy = Require.Tool("nbdcopy");
        await using var slot = await ServeAsync(3 << 20, writable: false);
        await using var device = new NbdBlockDevice(_kernel, "Slot_2", "nbd2", NullLogger.Instance);

        await device.AttachAsync(slot.Socket, 5, 512, readOnly: true, CancellationToken.None);

        device.SizeBytes.Should().Be(3 << 20);
        File.ReadAllText(Path.Combine(_kernel.Paths.SysBlock("nbd2"), "size")).Trim().Should().Be((3 << 20) / 512 + "");
        var export = SandboxNbdClientLauncher.ExportSocket(_kernel.Paths, "nbd2");
        var copy = await ExternalProcess.RunAsync(
            "/bin/sh", ["-c", $"'{nbdcopy}' 'nbd+unix:///?socket={export}' - | sha256sum"]);
        copy.EnsureSuccess("nbdcopy");
        copy.StandardOutput.Split(' ')[0].Should().Be(slot.Sha256);
        device.ReadStatistics().ReadIO.Should().BeGreaterThan(0);
        device.ReadStatistics().WriteIO.Should().Be(0);
    }

    [Test]
    public async Task Detach_ClearsTheSize_RemovesTheExport_AndKeepsExitCodeZero()
    {
        await using var slot = await ServeAsync(1 << 20, writable: true);
        var device = new NbdBlockDevice(_kernel, "Slot_0", "nbd0", NullLogger.Instance);
        await device.AttachAsync(slot.Socket, 5, 512, readOnly: false, CancellationToken.None);

        await device.DetachAsync(CancellationToken.None);

        device.SizeBytes.Should().Be(0);
        device.ExitCode.Should().Be(0);
        File.Exists(SandboxNbdClientLauncher.ExportSocket(_kernel.Paths, "nbd0")).Should().BeFalse();
    }

    [Test]
    public async Task Writes_ReachTheImage_AndAreCounted()
    {
        await using var slot = await ServeAsync(1 << 20, writable: true);
        await using var device = new NbdBlockDevice(_kernel, "Slot_1", "nbd1", NullLogger.Instance);
        await device.AttachAsync(slot.Socket, 5, 512, readOnly: false, CancellationToken.None);
        var data = Enumerable.Repeat((byte)0xa5, 4096).ToArray();

        await using (var client = await NbdClient.ConnectUnixAsync(SandboxNbdClientLauncher.ExportSocket(_kernel.Paths, "nbd1")))
        {
            await client.WriteAsync(8192, data);
            await client.FlushAsync();
        }

        File.ReadAllBytes(slot.Image).AsSpan(8192, 4096).ToArray().Should().Equal(data);
        device.ReadStatistics().WriteIO.Should().Be(1);
    }

    [Test]
    public async Task NoServer_FailsWithEio_AndLeavesNoClient()
    {
        var device = new NbdBlockDevice(_kernel, "Slot_0", "nbd0", NullLogger.Instance);

        var attach = () => device.AttachAsync(_dir.Combine("nobody.sock"), 5, 512, false, CancellationToken.None);

        (await attach.Should().ThrowAsync<KernelException>()).Which.Errno.Should().Be(Errno.EIO);
        device.ExitCode.Should().Be(1);
        device.SizeBytes.Should().Be(0);
    }

    [Test]
    public async Task SilentServer_FailsWithinTheTimeout()
    {
        var path = _dir.Combine("silent.sock");
        using var silent = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        silent.Bind(new UnixDomainSocketEndPoint(path));
        silent.Listen(1);
        var device = new NbdBlockDevice(_kernel, "Slot_0", "nbd0", NullLogger.Instance);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var attach = () => device.AttachAsync(path, 1, 512, false, CancellationToken.None);

        (await attach.Should().ThrowAsync<KernelException>()).Which.Errno
            .Should().BeOneOf(Errno.EIO, Errno.ETIMEDOUT);
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(5));
        device.SizeBytes.Should().Be(0);
    }

    private async Task<ServedImage> ServeAsync(int size, bool writable)
    {
        var image = _dir.Combine($"image-{Guid.NewGuid():N}.img");
        var content = new byte[size];
        new Random(size).NextBytes(content);
        await File.WriteAllBytesAsync(image, content);
        var source = FileImageSource.Open(image, writable);
        var listener = NbdUnixListener.Start(new NbdServer(new NbdExport(source)), _dir.Combine("slots/" + Path.GetFileName(image) + ".sock"));
        return new ServedImage(image, Convert.ToHexStringLower(SHA256.HashData(content)), source, listener);
    }

    private sealed record ServedImage(string Image, string Sha256, FileImageSource Source, NbdUnixListener Listener) : IAsyncDisposable
    {
        public string Socket => Listener.SocketPath;

        public async ValueTask DisposeAsync()
        {
            await Listener.DisposeAsync();
            await Source.DisposeAsync();
        }
    }
}
