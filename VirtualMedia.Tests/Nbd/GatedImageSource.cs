using System.Collections.Concurrent;
using VirtualMedia.Nbd;

namespace VirtualMedia.Tests.Nbd;

/// <summary>A fake in-memory source whose reads at chosen offsets wait until the test opens their gate.</summary>
internal sealed class GatedImageSource : IImageSource
{
    private readonly byte[] _content;
    private readonly ConcurrentDictionary<long, TaskCompletionSource> _gates = new();
    private int _activeReads;
    private int _maxActiveReads;

    public GatedImageSource(byte[] content)
    {
        _content = content;
    }

    public long Size => _content.Length;

    public bool IsWritable => false;

    public bool CanFlush => false;

    public bool CanTrim => false;

    public bool CanMultiConn => true;

    public int MaxActiveReads => Volatile.Read(ref _maxActiveReads);

    /// <summary>Reads at <paramref name="offset"/> block until <see cref="Open"/>.</summary>
    public void Close(long offset) => _gates[offset] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Open(long offset) => _gates[offset].TrySetResult();

    public void Fail(long offset) => _gates[offset].TrySetException(new ImageSourceException(Errno.EIO, "gate failed"));

    public async ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var active = Interlocked.Increment(ref _activeReads);
        InterlockedMax(ref _maxActiveReads, active);
        try
        {
            if (_gates.TryGetValue(offset, out var gate))
            {
                await gate.Task.WaitAsync(cancellationToken);
            }

            _content.AsMemory((int)offset, buffer.Length).CopyTo(buffer);
        }
        finally
        {
            Interlocked.Decrement(ref _activeReads);
        }
    }

    public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        throw new NotSupportedException();

    public ValueTask FlushAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

    public ValueTask TrimAsync(long offset, long length, CancellationToken cancellationToken) =>
        throw new NotSupportedException();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
