using System.Collections.Concurrent;
using VirtualMedia.Nbd;
using VirtualMedia.Service.ImageSources.Http;

namespace VirtualMedia.Tests.ImageSources;

/// <summary>A fake fetcher serving ranges of an in-memory image, counting what it was asked for.</summary>
/// <param name="image">The image.</param>
/// <param name="answerDelay">How long a GET starting at an offset waits for its answer, as a real server's does for a
/// round trip (none when null: at once).</param>
/// <param name="breakAfter">After how many bytes of its body the first GET of a fetch starting at an offset breaks, as
/// a connection reset mid-body does (never when null or for a null answer); the fetch then goes on as
/// <see cref="IRangeFetcher"/> says, from the consumer's <see cref="IRangeConsumer.ResumeAt"/> to the same end.</param>
/// <param name="fails">Whether a fetch starting at an offset fails for good, as one past the source's outage budget
/// does: with EIO, once its answer is due.</param>
internal sealed class FakeMemoryRangeFetcher(
    byte[] image,
    Func<long, TimeSpan>? answerDelay = null,
    Func<long, int?>? breakAfter = null,
    Func<long, bool>? fails = null) : IRangeFetcher
{
    private long _bytesFetched;

    /// <summary>Every fetch asked for (not retries), in order.</summary>
    public ConcurrentQueue<FetchRange> Fetches { get; } = new();

    /// <summary>Bytes handed out by fetches and reads around the cache.</summary>
    public long BytesFetched => Interlocked.Read(ref _bytesFetched);

    public async ValueTask FetchAsync(long offset, int length, IRangeConsumer consumer, CancellationToken cancellationToken)
    {
        var end = offset + length;
        Outside(offset, end, "fetch");
        Fetches.Enqueue(new FetchRange(offset, end));
        if (answerDelay?.Invoke(offset) is { } delay && delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, cancellationToken);
        }

        if (fails?.Invoke(offset) == true)
        {
            throw new ImageSourceException(Errno.EIO, $"fetch of [{offset}, {end}) failed for good");
        }

        if (breakAfter?.Invoke(offset) is { } broken && broken < length)
        {
            Interlocked.Add(ref _bytesFetched, broken);
            try
            {
                await using var cut = new BrokenBody(image, (int)offset, broken);
                await consumer.ConsumeAsync(cut, cancellationToken);
                // The consumer let the rest of the GET go before the break (a stream whose reader stopped).
                return;
            }
            catch (IOException e) when (e is not ImageSourceException)
            {
                var resume = consumer.ResumeAt;
                Outside(resume, end, "retry");
                (offset, length) = (resume, (int)(end - resume));
            }
        }

        Interlocked.Add(ref _bytesFetched, length);
        using var body = new MemoryStream(image, (int)offset, length, writable: false);
        await consumer.ConsumeAsync(body, cancellationToken);
    }

    public Task ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        Outside(offset, offset + destination.Length, "read around the cache");
        Interlocked.Add(ref _bytesFetched, destination.Length);
        image.AsMemory((int)offset, destination.Length).CopyTo(destination);
        return Task.CompletedTask;
    }

    /// <summary>A range no server would be asked for (empty, or past the image) fails the caller, loudly.</summary>
    private void Outside(long start, long end, string what)
    {
        if (start < 0 || end > image.Length || start >= end)
        {
            throw new InvalidOperationException($"{what} of [{start}, {end}) in an image of {image.Length} bytes");
        }
    }

    /// <summary>A body that gives its first bytes and then fails as a reset connection does.</summary>
    private sealed class BrokenBody(byte[] image, int offset, int length) : Stream
    {
        private readonly MemoryStream _bytes = new(image, offset, length, writable: false);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer) =>
            _bytes.Position < _bytes.Length ? _bytes.Read(buffer) : throw new IOException("connection reset by peer");

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(buffer.AsSpan(offset, count)));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
