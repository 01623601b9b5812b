using VirtualMedia.Nbd;
using VirtualMedia.Nbd.Client;
using VirtualMedia.Nbd.Server;
using VirtualMedia.Nbd.Sources;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.Nbd;

/// <summary>Request buffers outlive connections, within a bound.</summary>
[TestFixture]
public sealed class NbdRequestPoolTests
{
    [Test]
    public void ReturnedSlotsAreKeptUpToTheBoundAndRentedAgain()
    {
        var pool = new NbdRequestPool(maxRetainedBytes: 200_000);
        var slots = new[] { WithBuffer(pool.Rent(), 4096), WithBuffer(pool.Rent(), 100_000), WithBuffer(pool.Rent(), 65536) };

        foreach (var slot in slots)
        {
            pool.Return(slot);
        }

        pool.RetainedBytes.Should().Be(slots[0].Capacity + slots[1].Capacity, "the 64 KiB buffer would pass the bound");
        pool.Rent().Should().BeSameAs(slots[1], "the largest buffer goes first");
        pool.Rent().Should().BeSameAs(slots[0]);
        pool.RetainedBytes.Should().Be(0);
        pool.Rent().Capacity.Should().Be(NbdRequest.HeaderRoom, "an empty pool makes new slots");
    }

    [Test]
    public async Task ReconnectingClientsReuseTheBuffersOfEarlierConnections()
    {
        using var directory = new TempDirectory("vm-nbd");
        var imagePath = directory.Combine("image.img");
        await File.WriteAllBytesAsync(imagePath, new byte[4 << 20]);
        await using var source = FileImageSource.Open(imagePath, writable: false);
        var server = new NbdServer(new NbdExport(source));
        await using var listener = NbdUnixListener.Start(server, directory.Combine("nbd.sock"));

        var retained = new List<long>();
        for (var round = 0; round < 3; round++)
        {
            await using (var client = await NbdClient.ConnectUnixAsync(listener.SocketPath))
            {
                await Task.WhenAll(Enumerable.Range(0, 4).Select(i => client.ReadAsync(i << 20, new byte[1 << 20])));
                await client.DisconnectAsync();
            }

            await Wait.UntilAsync(() => server.ActiveConnections == 0, TimeSpan.FromSeconds(5), "the connection to end");
            retained.Add(server.RetainedBufferBytes);
        }

        retained[0].Should().BeGreaterThanOrEqualTo(1 << 20, "the slots that served 1 MiB reads keep their buffers");
        retained.Should().AllBeEquivalentTo(retained[0], "later connections rent those buffers instead of allocating more");
        retained[0].Should().BeLessThanOrEqualTo(new NbdServerOptions().RetainedBufferBytes);
    }

    private static NbdRequest WithBuffer(NbdRequest request, uint length)
    {
        request.Length = length;
        request.Reserve();
        return request;
    }
}
