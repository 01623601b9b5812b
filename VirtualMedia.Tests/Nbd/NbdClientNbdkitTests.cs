using System.Diagnostics;
using VirtualMedia.Nbd;
using VirtualMedia.Nbd.Client;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.Nbd;

/// <summary>Our NBD client (the sandbox's nbd-client) against nbdkit, so a mistake made alike in our client and
/// our server cannot pass unnoticed.</summary>
[TestFixture]
public sealed class NbdClientNbdkitTests
{
    [Test]
    public async Task ReadsWritesAndFlushesAnNbdkitExport()
    {
        using var directory = new TempDirectory("vm-nbdkit");
        var content = RandomImage(directory, out var image);
        await using var nbdkit = await StartNbdkitAsync(directory, image, readOnly: false);
        await using var client = await NbdClient.ConnectUnixAsync(nbdkit.Socket);

        client.Size.Should().Be(content.Length);
        client.IsReadOnly.Should().BeFalse();
        var read = new byte[65536];
        await client.ReadAsync(300_000, read);
        read.Should().Equal(content.AsSpan(300_000, 65536).ToArray());

        var written = Enumerable.Range(0, 8192).Select(i => (byte)(i * 13)).ToArray();
        await client.WriteAsync(8192, written);
        await client.FlushAsync();
        await client.DisconnectAsync();
        (await File.ReadAllBytesAsync(image)).AsSpan(8192, 8192).ToArray().Should().Equal(written);
    }

    [Test]
    public async Task NbdkitErrorRepliesBecomeErrnos()
    {
        using var directory = new TempDirectory("vm-nbdkit");
        var content = RandomImage(directory, out var image);
        await using var nbdkit = await StartNbdkitAsync(directory, image, readOnly: true);
        await using var client = await NbdClient.ConnectUnixAsync(nbdkit.Socket);

        client.IsReadOnly.Should().BeTrue();
        var write = () => client.WriteAsync(0, new byte[512]);
        (await write.Should().ThrowAsync<NbdRequestException>()).Which.Errno.Should().Be(Errno.EPERM);
        var beyond = () => client.ReadAsync(content.Length - 100, new byte[512]);
        (await beyond.Should().ThrowAsync<NbdRequestException>()).Which.Errno.Should().Be(Errno.EINVAL);

        var read = new byte[512];
        await client.ReadAsync(0, read);
        read.Should().Equal(content.AsSpan(0, 512).ToArray(), "the connection stays usable after error replies");
    }

    private static byte[] RandomImage(TempDirectory directory, out string path)
    {
        var content = new byte[1 << 20];
        new Random(7).NextBytes(content);
        path = directory.Combine("image.img");
        File.WriteAllBytes(path, content);
        return content;
    }

    private static async Task<Nbdkit> StartNbdkitAsync(TempDirectory directory, string image, bool readOnly)
    {
        var socket = directory.Combine("nbdkit.sock");
        string[] options = readOnly ? ["--readonly"] : [];
        var process = ExternalProcess.Start(Require.Tool("nbdkit"), ["-f", "-U", socket, .. options, "file", image]);
        var nbdkit = new Nbdkit(process, socket);
        try
        {
            await Wait.UntilAsync(() => File.Exists(socket), TimeSpan.FromSeconds(10), "nbdkit to listen");
            return nbdkit;
        }
        catch
        {
            await nbdkit.DisposeAsync();
            throw;
        }
    }

    private sealed record Nbdkit(Process Process, string Socket) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await ExternalProcess.StopAsync(Process);
            Process.Dispose();
        }
    }
}
