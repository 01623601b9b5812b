using System.Collections.Concurrent;
using VirtualMedia.Service.ImageSources.Http;

namespace VirtualMedia.Tests.ImageSources;

/// <summary>A fake fetcher serving ranges of an in-memory image, counting what it was asked for.</summary>
/// <param name="image">The image.</param>
/// <param name="answerDelay">How long a GET starting at an offset waits for its answer, as a real server's does for a
/// round trip (none when null: at once).</param>
internal sealed class FakeMemoryRangeFetcher(byte[] image, Func<long, TimeSpan>? answerDelay = null) : IRangeFetcher
{
    private long _bytesFetched;

    /// <summary>Every fetch asked for (not retries: this fake never fails), in order.</summary>
    public ConcurrentQueue<FetchRange> Fetches { get; } = new();

    /// <summary>Bytes handed out by fetches and reads around the cache.</summary>
    public long BytesFetched => Interlocked.Read(ref _bytesFetched);

    public async ValueTask FetchAsync(long offset, int length, IRangeConsumer consumer, CancellationToken cancellationToken)
    {
        Interlocked.Add(ref _bytesFetched, length);
        Fetches.Enqueue(new FetchRange(offset, offset + length));
        if (answerDelay?.Invoke(offset) is { } delay && delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, cancellationToken);
        }

        using var body = new MemoryStream(image, (int)offset, length, writable: false);
        await consumer.ConsumeAsync(body, cancellationToken);
    }

    public Task ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        Interlocked.Add(ref _bytesFetched, destination.Length);
        image.AsMemory((int)offset, destination.Length).CopyTo(destination);
        return Task.CompletedTask;
    }
}
