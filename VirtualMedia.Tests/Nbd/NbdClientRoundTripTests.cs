using VirtualMedia.Nbd;
using VirtualMedia.Nbd.Client;

namespace VirtualMedia.Tests.Nbd;

[TestFixture]
public sealed class NbdClientRoundTripTests
{
    [Test]
    public async Task ReadsWritesAndFlushesThroughTheUnixSocket()
    {
        await using var served = NbdTestExport.Start(writable: true);
        await using var client = await NbdClient.ConnectUnixAsync(served.SocketPath);

        client.Size.Should().Be(served.Content.Length);
        client.IsReadOnly.Should().BeFalse();
        client.Flags.Should().HaveFlag(NbdTransmissionFlags.SendFlush).And.HaveFlag(NbdTransmissionFlags.CanMultiConn);

        var read = new byte[65536];
        await client.ReadAsync(1_000_000, read);
        read.Should().Equal(served.Content.AsSpan(1_000_000, 65536).ToArray());

        var written = Enumerable.Range(0, 8192).Select(i => (byte)(i * 7)).ToArray();
        await client.WriteAsync(4096, written);
        await client.FlushAsync();
        await client.ReadAsync(4096, read.AsMemory(0, 8192));
        read.AsSpan(0, 8192).ToArray().Should().Equal(written);

        served.Export.ReadRequests.Should().Be(2);
        served.Export.WriteRequests.Should().Be(1);
        served.Export.BytesRead.Should().Be(65536 + 8192);
        served.Export.BytesWritten.Should().Be(8192);
        served.Export.LastRequestTime.Should().BeCloseTo(DateTimeOffset.UtcNow, TimeSpan.FromSeconds(10));

        await client.DisconnectAsync();
        var onDisk = await File.ReadAllBytesAsync(served.ImagePath);
        onDisk.AsSpan(4096, 8192).ToArray().Should().Equal(written);
    }

    [Test]
    public async Task ReadOnlyExportRefusesWritesWithEperm()
    {
        await using var served = NbdTestExport.Start();
        await using var client = await NbdClient.ConnectUnixAsync(served.SocketPath);

        client.IsReadOnly.Should().BeTrue();
        var act = () => client.WriteAsync(0, new byte[512]);
        (await act.Should().ThrowAsync<NbdRequestException>()).Which.Errno.Should().Be(Errno.EPERM);

        // The connection stays usable after an error reply.
        var read = new byte[512];
        await client.ReadAsync(0, read);
        read.Should().Equal(served.Content.AsSpan(0, 512).ToArray());
        served.Export.WriteRequests.Should().Be(0);
    }

    [Test]
    public async Task OutOfRangeReadIsEinval()
    {
        await using var served = NbdTestExport.Start();
        await using var client = await NbdClient.ConnectUnixAsync(served.SocketPath);

        var act = () => client.ReadAsync(served.Content.Length - 100, new byte[512]);
        (await act.Should().ThrowAsync<NbdRequestException>()).Which.Errno.Should().Be(Errno.EINVAL);
    }

    [Test]
    public async Task UnknownExportIsRefused()
    {
        await using var served = NbdTestExport.Start();
        var act = () => NbdClient.ConnectUnixAsync(served.SocketPath, "nope");
        (await act.Should().ThrowAsync<NbdRequestException>()).Which.Errno.Should().Be(Errno.ENOENT);
    }
}
