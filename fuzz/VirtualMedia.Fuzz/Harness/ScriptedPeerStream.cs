namespace VirtualMedia.Fuzz.Harness;

/// <summary>A peer that sends the fuzz input and then hangs up, and takes whatever it is sent.</summary>
/// <remarks>
/// Reads hand out the input in pieces of varying size (the input's own bytes choose them), as a socket would,
/// so that code which assumes one read brings a whole header is exercised too.
/// </remarks>
public sealed class ScriptedPeerStream : Stream
{
    private readonly ReadOnlyMemory<byte> _input;
    private int _position;
    private long _written;

    public ScriptedPeerStream(ReadOnlyMemory<byte> input)
    {
        _input = input;
    }

    /// <summary>Bytes the code under test sent to the peer.</summary>
    public long BytesWritten => Interlocked.Read(ref _written);

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var remaining = _input.Length - _position;
        if (remaining == 0 || buffer.IsEmpty)
        {
            return 0;
        }

        // A piece of 1..4096 bytes, chosen by the byte at the current position: deterministic for an input.
        var piece = Math.Min(Math.Min(buffer.Length, remaining), 1 + (_input.Span[_position] * 17 % 4096));
        _input.Span.Slice(_position, piece).CopyTo(buffer);
        _position += piece;
        return piece;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Read(buffer.Span));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => Interlocked.Add(ref _written, count);

    public override void Write(ReadOnlySpan<byte> buffer) => Interlocked.Add(ref _written, buffer.Length);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Interlocked.Add(ref _written, buffer.Length);
        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
