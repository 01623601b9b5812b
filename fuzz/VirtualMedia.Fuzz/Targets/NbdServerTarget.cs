using System.Runtime.ExceptionServices;
using VirtualMedia.Fuzz.Harness;
using VirtualMedia.Nbd;

namespace VirtualMedia.Fuzz.Targets;

/// <summary>The NBD server's handshake and transmission phase, fed what a client sends.</summary>
/// <remarks>
/// The server ends a broken connection quietly and reports why to <see cref="NbdServerOptions.ConnectionFailed"/>:
/// an I/O error or <see cref="InvalidDataException"/> is the documented refusal of a client that breaks the
/// protocol; any other exception there is a defect. Every request buffer must be given back when the client is gone.
/// </remarks>
public sealed class NbdServerTarget : IFuzzTarget
{
    public string Name => "nbd-server";

    public async Task RunAsync(ReadOnlyMemory<byte> input)
    {
        Exception? unexpected = null;
        var exports = new[] { new NbdExport(new MemoryImage(1 << 20)), new NbdExport(new MemoryImage(4096), "small", "a second export") };
        var server = new NbdServer(exports, new NbdServerOptions
        {
            ConnectionFailed = e => unexpected ??= e is IOException or InvalidDataException ? null : e,
        });
        var stream = new ScriptedPeerStream(input);
        await server.ServeAsync(stream, CancellationToken.None);
        if (unexpected is not null)
        {
            ExceptionDispatchInfo.Throw(unexpected);
        }

        if (server.BufferBytesInUse != 0 || server.ActiveConnections != 0)
        {
            throw new FuzzFindingException(
                $"after the client left: {server.BufferBytesInUse} buffer bytes in use, {server.ActiveConnections} connections");
        }
    }
}
