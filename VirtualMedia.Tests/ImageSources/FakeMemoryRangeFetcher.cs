using System.Collections.Concurrent;
using VirtualMedia.Service.ImageSources.Http;

namespace VirtualMedia.Tests.ImageSources;

/// <summary>A fake fetcher serving ranges of an in-memory image at once, counting what it was asked for.</summary>
internal sealed class FakeMemoryRangeFetcher(byte[] image) : IRangeFetcher
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
