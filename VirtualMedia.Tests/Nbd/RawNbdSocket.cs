using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace VirtualMedia.Tests.Nbd;

/// <summary>Speaks raw NBD bytes to a server, for protocol corner cases no real client produces.</summary>
internal sealed class RawNbdSocket : IAsyncDisposable
{
    public const ulong OptionMagic = 0x49484156454F5054;
    public const ulong OptionReplyMagic = 0x0003e889045565a9;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;

    private RawNbdSocket(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    /// <summary>How long one read may wait for the server; a test whose replies queue behind many clients' raises it.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    public static async Task<RawNbdSocket> ConnectAsync(string socketPath)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath));
        return new RawNbdSocket(socket);
    }

    /// <summary>Connects, greets and picks the default export: ready for requests, with simple replies.</summary>
    public static async Task<RawNbdSocket> ConnectInTransmissionAsync(string socketPath)
    {
        var raw = await ConnectAsync(socketPath);
        await raw.GreetAsync();
        await raw.GoAsync();
        return raw;
    }

    /// <summary>Reads the greeting and answers with <paramref name="clientFlags"/>; returns the handshake flags.</summary>
    public async Task<ushort> GreetAsync(uint clientFlags = 3)
    {
        var greeting = await ReadAsync(18);
        BinaryPrimitives.ReadUInt64BigEndian(greeting).Should().Be(0x4e42444d41474943);
        BinaryPrimitives.ReadUInt64BigEndian(greeting.AsSpan(8)).Should().Be(OptionMagic);
        await WriteAsync(U32(clientFlags));
        return BinaryPrimitives.ReadUInt16BigEndian(greeting.AsSpan(16));
    }

    public Task SendOptionAsync(uint option, byte[] data) =>
        WriteAsync([.. U64(OptionMagic), .. U32(option), .. U32((uint)data.Length), .. data]);

    public async Task<(uint Option, uint Type, byte[] Data)> ReadOptionReplyAsync()
    {
        var header = await ReadAsync(20);
        BinaryPrimitives.ReadUInt64BigEndian(header).Should().Be(OptionReplyMagic);
        var length = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(16));
        return (BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(8)),
            BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(12)),
            await ReadAsync((int)length));
    }

    /// <summary>NBD_OPT_GO for the default export; returns the transmission flags.</summary>
    public async Task<ushort> GoAsync()
    {
        await SendOptionAsync(7, [0, 0, 0, 0, 0, 0]);
        while (true)
        {
            var (_, type, data) = await ReadOptionReplyAsync();
            if (type == 1)
            {
                return 0;
            }

            type.Should().Be(3);
            if (BinaryPrimitives.ReadUInt16BigEndian(data) == 0)
            {
                var flags = BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(10));
                (await ReadOptionReplyAsync()).Type.Should().Be(3); // block sizes
                (await ReadOptionReplyAsync()).Type.Should().Be(1);
                return flags;
            }
        }
    }

    public Task SendRequestAsync(ushort command, ulong handle, ulong offset, uint length, ushort flags = 0, byte[]? payload = null) =>
        WriteAsync([.. U32(0x25609513), .. U16(flags), .. U16(command), .. U64(handle), .. U64(offset), .. U32(length), .. payload ?? []]);

    /// <summary>Reads a simple reply header: (error, handle).</summary>
    public async Task<(uint Error, ulong Handle)> ReadSimpleReplyAsync()
    {
        var header = await ReadAsync(16);
        BinaryPrimitives.ReadUInt32BigEndian(header).Should().Be(0x67446698);
        return (BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4)), BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(8)));
    }

    public async Task<byte[]> ReadAsync(int count)
    {
        var buffer = new byte[count];
        using var timeout = new CancellationTokenSource(Timeout);
        await _stream.ReadExactlyAsync(buffer, timeout.Token);
        return buffer;
    }

    /// <summary>Reads <paramref name="count"/> bytes through a small buffer and returns how many arrived: a test reading
    /// large replies from many clients at once must not hold them all in its own memory.</summary>
    public async Task<long> DiscardAsync(long count)
    {
        var buffer = new byte[64 * 1024];
        using var timeout = new CancellationTokenSource(Timeout);
        var read = 0L;
        while (read < count)
        {
            var chunk = await _stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count - read)), timeout.Token);
            if (chunk == 0)
            {
                break;
            }

            read += chunk;
        }

        return read;
    }

    /// <summary>True when the server closed the connection (end of stream within the timeout).</summary>
    public async Task<bool> IsClosedByServerAsync()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            return await _stream.ReadAsync(new byte[1], timeout.Token) == 0;
        }
        catch (IOException)
        {
            return true;
        }
    }

    public async Task WriteAsync(byte[] bytes) => await _stream.WriteAsync(bytes);

    /// <summary>Shuts the sending side, as libnbd does after NBD_CMD_DISC; replies can still be read.</summary>
    public void ShutdownSend() => _socket.Shutdown(SocketShutdown.Send);

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    public static byte[] U16(ushort value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, value);
        return bytes;
    }

    public static byte[] U32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return bytes;
    }

    public static byte[] U64(ulong value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, value);
        return bytes;
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _socket.Dispose();
    }
}
