using System.Runtime.CompilerServices;

namespace VirtualMedia.Nbd.Protocol;

/// <summary>Buffered reads of protocol headers from a stream; large payloads go straight to their destination.</summary>
/// <remarks>
/// A read-ahead (<see cref="ReadAhead"/>) lets a server keep listening to a client while it cannot take the next
/// request yet, so it notices the client hanging up; what the read-ahead brings is consumed like any buffered byte.
/// </remarks>
internal sealed class NbdStreamReader
{
    private readonly Stream _stream;
    private readonly byte[] _buffer;
    private int _start;
    private int _end;
    private Task<int>? _readAhead;
    private bool _ended;

    public NbdStreamReader(Stream stream, int bufferSize = 64 * 1024)
    {
        _stream = stream;
        _buffer = new byte[bufferSize];
    }

    /// <summary>Bytes received and not consumed yet (read-ahead included once absorbed).</summary>
    public ReadOnlyMemory<byte> Unread => _buffer.AsMemory(_start, Buffered);

    private int Buffered => _end - _start;

    /// <summary>Makes <paramref name="count"/> bytes available; false on a clean end of stream before any byte.</summary>
    /// <exception cref="EndOfStreamException">The stream ended in the middle of the header.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<bool> TryFillAsync(int count, CancellationToken cancellationToken)
    {
        if (Buffered >= count)
        {
            return true;
        }

        await AbsorbReadAheadAsync().ConfigureAwait(false);
        if (Buffered >= count)
        {
            return true;
        }

        Compact();
        while (_end < count)
        {
            var read = _ended ? 0 : await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                _ended = true;
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
        if (!await TryFillAsync(count, cancellationToken).ConfigureAwait(false))
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
        await AbsorbReadAheadAsync().ConfigureAwait(false);
        var fromBuffer = Math.Min(Buffered, destination.Length);
        _buffer.AsMemory(_start, fromBuffer).CopyTo(destination);
        _start += fromBuffer;
        if (fromBuffer < destination.Length)
        {
            if (_ended)
            {
                throw new EndOfStreamException("peer closed the connection in the middle of a message");
            }

            await _stream.ReadExactlyAsync(destination[fromBuffer..], cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads whatever the peer sends next into the free end of the buffer (or keeps the read already under
    /// way); completes when bytes or the end of the stream arrive. Null when the buffer has no room left.</summary>
    /// <remarks>Only one read-ahead runs at a time; <see cref="AbsorbReadAheadAsync"/> takes in its result (every other
    /// read does that first).</remarks>
    public Task? ReadAhead(CancellationToken cancellationToken)
    {
        if (_readAhead is not null || _ended)
        {
            return _readAhead ?? Task.CompletedTask;
        }

        if (_end == _buffer.Length)
        {
            if (_start == 0)
            {
                return null;
            }

            Compact();
        }

        _readAhead = _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).AsTask();
        return _readAhead;
    }

    /// <summary>Takes in what the read-ahead brought, waiting for it if need be; false once the peer ended the stream.</summary>
    public async ValueTask<bool> AbsorbReadAheadAsync()
    {
        if (_readAhead is { } readAhead)
        {
            _readAhead = null;
            var read = await readAhead.ConfigureAwait(false);
            _ended |= read == 0;
            _end += read;
        }

        return !_ended;
    }

    /// <summary>Waits for a read-ahead still under way (its reader is cancelled or the stream closed) and drops its outcome.</summary>
    public async Task AbandonReadAheadAsync()
    {
        try
        {
            await AbsorbReadAheadAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The connection is over; how its last read ended does not matter.
        }
    }

    private void Compact()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, Buffered);
            _end = Buffered;
            _start = 0;
        }
    }
}
