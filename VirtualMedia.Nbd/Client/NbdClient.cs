using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using VirtualMedia.Nbd.Protocol;

namespace VirtualMedia.Nbd.Client;

/// <summary>A minimal NBD client (fixed newstyle, NBD_OPT_GO, simple replies), one request at a time.</summary>
/// <remarks>Stands in for the kernel's nbd-client where /dev/nbdX cannot exist (sandbox, tests).</remarks>
public sealed class NbdClient : IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly NbdStreamReader _reader;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly byte[] _header = new byte[NbdConstants.RequestHeaderSize];
    private ulong _nextHandle;
    private bool _disconnected;

    private NbdClient(Stream stream, NbdStreamReader reader, long size, NbdTransmissionFlags flags)
    {
        _stream = stream;
        _reader = reader;
        Size = size;
        Flags = flags;
    }

    /// <summary>Export size in bytes.</summary>
    public long Size { get; }

    /// <summary>Transmission flags the server sent.</summary>
    public NbdTransmissionFlags Flags { get; }

    /// <summary>True when the server refuses writes.</summary>
    public bool IsReadOnly => (Flags & NbdTransmissionFlags.ReadOnly) != 0;

    /// <summary>Connects to a server listening on a unix socket and opens <paramref name="exportName"/>.</summary>
    public static async Task<NbdClient> ConnectUnixAsync(
        string socketPath, string exportName = "", CancellationToken cancellationToken = default)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken).ConfigureAwait(false);
            return await ConnectAsync(new NetworkStream(socket, ownsSocket: true), exportName, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Runs the handshake on <paramref name="stream"/> (which the client then owns).</summary>
    /// <exception cref="NbdRequestException">The server does not have the export or broke the protocol.</exception>
    public static async Task<NbdClient> ConnectAsync(
        Stream stream, string exportName = "", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(exportName);
        var reader = new NbdStreamReader(stream, 4096);
        var greeting = await reader.ReadAsync(18, cancellationToken).ConfigureAwait(false);
        if (BinaryPrimitives.ReadUInt64BigEndian(greeting.Span) != NbdConstants.InitMagic
            || BinaryPrimitives.ReadUInt64BigEndian(greeting.Span[8..]) != NbdConstants.OptionMagic)
        {
            throw new NbdRequestException(Errno.EINVAL, "not a fixed newstyle NBD server");
        }

        var handshakeFlags = BinaryPrimitives.ReadUInt16BigEndian(greeting.Span[16..]);
        var noZeroes = (handshakeFlags & NbdConstants.HandshakeNoZeroes) != 0;
        var clientFlags = NbdConstants.ClientFixedNewstyle | (noZeroes ? NbdConstants.ClientNoZeroes : 0);
        var flagBytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(flagBytes, clientFlags);
        await stream.WriteAsync(flagBytes, cancellationToken).ConfigureAwait(false);

        var name = Encoding.UTF8.GetBytes(exportName);
        var option = new byte[16 + 4 + name.Length + 2];
        BinaryPrimitives.WriteUInt64BigEndian(option, NbdConstants.OptionMagic);
        BinaryPrimitives.WriteUInt32BigEndian(option.AsSpan(8), (uint)NbdOption.Go);
        BinaryPrimitives.WriteInt32BigEndian(option.AsSpan(12), option.Length - 16);
        BinaryPrimitives.WriteInt32BigEndian(option.AsSpan(16), name.Length);
        name.CopyTo(option, 20);
        await stream.WriteAsync(option, cancellationToken).ConfigureAwait(false);

        long size = -1;
        var flags = NbdTransmissionFlags.None;
        while (true)
        {
            var reply = await reader.ReadAsync(20, cancellationToken).ConfigureAwait(false);
            var type = (NbdOptionReply)BinaryPrimitives.ReadUInt32BigEndian(reply.Span[12..]);
            var length = BinaryPrimitives.ReadUInt32BigEndian(reply.Span[16..]);
            if (BinaryPrimitives.ReadUInt64BigEndian(reply.Span) != NbdConstants.OptionReplyMagic
                || length > NbdConstants.MaxOptionLength)
            {
                throw new NbdRequestException(Errno.EINVAL, "malformed option reply");
            }

            var data = await reader.ReadAsync((int)length, cancellationToken).ConfigureAwait(false);
            if (type == NbdOptionReply.Ack)
            {
                break;
            }

            if (((uint)type & 0x80000000) != 0)
            {
                throw new NbdRequestException(
                    type == NbdOptionReply.ErrUnknown ? Errno.ENOENT : Errno.EINVAL,
                    $"server refused export '{exportName}' ({type})");
            }

            if (type == NbdOptionReply.Info && length >= 12
                && BinaryPrimitives.ReadUInt16BigEndian(data.Span) == (ushort)NbdInfo.Export)
            {
                size = BinaryPrimitives.ReadInt64BigEndian(data.Span[2..]);
                flags = (NbdTransmissionFlags)BinaryPrimitives.ReadUInt16BigEndian(data.Span[10..]);
            }
        }

        if (size < 0)
        {
            throw new NbdRequestException(Errno.EINVAL, "server sent no export information");
        }

        return new NbdClient(stream, reader, size, flags);
    }

    /// <summary>Reads <paramref name="buffer"/>.Length bytes at <paramref name="offset"/>.</summary>
    public Task ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        RequestAsync(NbdCommand.Read, offset, buffer.Length, default, buffer, cancellationToken);

    /// <summary>Writes <paramref name="data"/> at <paramref name="offset"/>.</summary>
    public Task WriteAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) =>
        RequestAsync(NbdCommand.Write, offset, data.Length, data, default, cancellationToken);

    /// <summary>Asks the server to make completed writes durable.</summary>
    public Task FlushAsync(CancellationToken cancellationToken = default) =>
        RequestAsync(NbdCommand.Flush, 0, 0, default, default, cancellationToken);

    /// <summary>Sends NBD_CMD_DISC; the server closes after answering what is in flight.</summary>
    public async Task DisconnectAsync(CancellationToken cancellationToken = default)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_disconnected)
            {
                return;
            }

            _disconnected = true;
            WriteHeader(NbdCommand.Disconnect, 0, 0);
            await _stream.WriteAsync(_header, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Disconnects politely when possible and closes the stream.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await DisconnectAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // Server already gone.
        }

        await _stream.DisposeAsync().ConfigureAwait(false);
        _lock.Dispose();
    }

    private async Task RequestAsync(
        NbdCommand command,
        long offset,
        int length,
        ReadOnlyMemory<byte> payload,
        Memory<byte> destination,
        CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disconnected, this);
            var handle = WriteHeader(command, offset, length);
            await _stream.WriteAsync(_header, cancellationToken).ConfigureAwait(false);
            if (!payload.IsEmpty)
            {
                await _stream.WriteAsync(payload, cancellationToken).ConfigureAwait(false);
            }

            var reply = await _reader.ReadAsync(NbdConstants.SimpleReplyHeaderSize, cancellationToken).ConfigureAwait(false);
            if (BinaryPrimitives.ReadUInt32BigEndian(reply.Span) != NbdConstants.SimpleReplyMagic
                || BinaryPrimitives.ReadUInt64BigEndian(reply.Span[8..]) != handle)
            {
                throw new InvalidDataException("malformed NBD reply");
            }

            var error = (Errno)BinaryPrimitives.ReadUInt32BigEndian(reply.Span[4..]);
            if (error != Errno.None)
            {
                throw new NbdRequestException(error, $"NBD {command} at {offset} (+{length}) failed: {error}");
            }

            if (command == NbdCommand.Read)
            {
                await _reader.ReadExactlyAsync(destination, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    private ulong WriteHeader(NbdCommand command, long offset, int length)
    {
        var handle = ++_nextHandle;
        BinaryPrimitives.WriteUInt32BigEndian(_header, NbdConstants.RequestMagic);
        BinaryPrimitives.WriteUInt16BigEndian(_header.AsSpan(4), 0);
        BinaryPrimitives.WriteUInt16BigEndian(_header.AsSpan(6), (ushort)command);
        BinaryPrimitives.WriteUInt64BigEndian(_header.AsSpan(8), handle);
        BinaryPrimitives.WriteInt64BigEndian(_header.AsSpan(16), offset);
        BinaryPrimitives.WriteInt32BigEndian(_header.AsSpan(24), length);
        return handle;
    }
}
