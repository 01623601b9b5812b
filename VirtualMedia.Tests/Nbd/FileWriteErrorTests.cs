using VirtualMedia.Nbd;
using VirtualMedia.Nbd.Client;
using VirtualMedia.Nbd.Sources;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.Nbd;

/// <summary>A write that the file system cannot hold must reach the client as ENOSPC, not EIO.</summary>
[TestFixture]
public sealed class FileWriteErrorTests
{
    [Test]
    public async Task FullFileSystemGivesEnospc()
    {
        if (Environment.UserName != "root")
        {
            Require.Missing("root (to mount a tiny tmpfs)");
        }

        var mount = Require.Tool("mount");
        var umount = Require.Tool("umount");
        using var directory = new TempDirectory("vm-enospc");
        var mountPoint = directory.Combine("fs");
        Directory.CreateDirectory(mountPoint);
        (await ExternalProcess.RunAsync(mount, ["-t", "tmpfs", "-o", "size=256k", "tmpfs", mountPoint])).EnsureSuccess("mount tmpfs");
        try
        {
            var image = Path.Combine(mountPoint, "sparse.img");
            await using (var file = File.Create(image))
            {
                file.SetLength(4 * 1024 * 1024);
            }

            await using var source = FileImageSource.Open(image, writable: true);
            await using var listener = NbdUnixListener.Start(new NbdServer(new NbdExport(source)), directory.Combine("run/nbd.sock"));
            await using var client = await NbdClient.ConnectUnixAsync(listener.SocketPath);

            await client.WriteAsync(0, new byte[64 * 1024]);
            var act = () => client.WriteAsync(1024 * 1024, new byte[1024 * 1024]);
            (await act.Should().ThrowAsync<NbdRequestException>()).Which.Errno.Should().Be(Errno.ENOSPC);
        }
        finally
        {
            await ExternalProcess.RunAsync(umount, ["-l", mountPoint]);
        }
    }
}
