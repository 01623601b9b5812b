namespace VirtualMedia.Nbd.Protocol;

/// <summary>Buffered reads of protocol headers from a stream; large payloads go straight to their destination.</summary>
internal sealed class NbdStreamReader
{
    private readonly Stream _stream;
    private readonly byte[] _buffer;
    private int _start;
    private int _end;

    public NbdStreamReader(Stream stream, int bufferSize = 64 * 1024)
    {
        _stream = stream;
        _buffer = new byte[bufferSize];
    }

    private int Buffered => _end - _start;

    /// <summary>Makes <paramref name="count"/> bytes available; false on a clean end of stream before any byte.</summary>
    /// <exception cref="EndOfStreamException">The stream ended in the middle of the header.</exception>
    public async ValueTask<bool> TryFillAsync(int count, CancellationToken cancellationToken)
    {
        if (Buffered >= count)
        {
            return true;
        }

        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, Buffered);
            _end = Buffered;
            _start = 0;
        }

        while (_end < count)
        {
            var read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
            if (read == 0)
            {
                if (_end == 0)
                {
                    return false;
                }

                throw new EndOfStreamException("peer closed the connection in the middle of a message");
            }

            _end += read;
        }

        return true;
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes into the internal buffer and returns them.</summary>
    public async ValueTask<ReadOnlyMemory<byte>> ReadAsync(int count, CancellationToken cancellationToken)
    {
        if (!await TryFillAsync(count, cancellationToken))
        {
            throw new EndOfStreamException("peer closed the connection");
        }

        return Take(count);
    }

    /// <summary>Consumes <paramref name="count"/> bytes made available by <see cref="TryFillAsync"/>.</summary>
    public ReadOnlyMemory<byte> Take(int count)
    {
        var taken = _buffer.AsMemory(_start, count);
        _start += count;
        return taken;
    }

    /// <summary>Fills <paramref name="destination"/> completely, from the buffer first and then from the stream.</summary>
    public async ValueTask ReadExactlyAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        var fromBuffer = Math.Min(Buffered, destination.Length);
        _buffer.AsMemory(_start, fromBuffer).CopyTo(destination);
        _start += fromBuffer;
        if (fromBuffer < destination.Length)
        {
            await _stream.ReadExactlyAsync(destination[fromBuffer..], cancellationToken);
        }
    }
}
