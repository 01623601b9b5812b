using VirtualMedia.Fuzz.Harness;
using VirtualMedia.Nbd.Client;

namespace VirtualMedia.Fuzz.Targets;

/// <summary>Our NBD client against a hostile server: the input is everything the server says.</summary>
/// <remarks>
/// The client handshakes, then reads, writes, flushes and disconnects. A server that breaks the protocol must cost
/// an <see cref="NbdRequestException"/>, <see cref="InvalidDataException"/> or I/O error, nothing else.
/// </remarks>
public sealed class NbdClientTarget : IFuzzTarget
{
    public string Name => "nbd-client";

    public async Task RunAsync(ReadOnlyMemory<byte> input)
    {
        try
        {
            await using var client = await NbdClient.ConnectAsync(new ScriptedPeerStream(input), "export");
            var buffer = new byte[4096];
            await client.ReadAsync(0, buffer);
            await client.WriteAsync(4096, buffer);
            await client.FlushAsync();
            await client.ReadAsync(client.Size / 2, buffer.AsMemory(0, 512));
            await client.DisconnectAsync();
        }
        catch (Exception e) when (e is NbdRequestException or InvalidDataException or IOException)
        {
            // Refused: the caller sees a clear error for this server.
        }
    }
}
