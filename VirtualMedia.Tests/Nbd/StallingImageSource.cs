using VirtualMedia.Nbd;

namespace VirtualMedia.Tests.Nbd;

/// <summary>A fake read-only source of any size whose reads wait until the test lets them finish, or are cancelled;
/// it counts both, standing in for a slow web server.</summary>
internal sealed class StallingImageSource : IImageSource
{
    private readonly TaskCompletionSource _finish = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _activeReads;
    private int _readsStarted;
    private int _readsCancelled;

    public StallingImageSource(long size, bool stall = true)
    {
        Size = size;
        if (!stall)
        {
            _finish.SetResult();
        }
    }

    public long Size { get; }

    public bool IsWritable => false;

    public bool CanFlush => false;

    public bool CanTrim => false;

    public bool CanMultiConn => true;

    /// <summary>Reads started and not yet finished or cancelled.</summary>
    public int ActiveReads => Volatile.Read(ref _activeReads);

    public int ReadsStarted => Volatile.Read(ref _readsStarted);

    /// <summary>Reads that ended because their cancellation token fired.</summary>
    public int ReadsCancelled => Volatile.Read(ref _readsCancelled);

    /// <summary>Lets every waiting and later read finish.</summary>
    public void FinishReads() => _finish.TrySetResult();

    public async ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _readsStarted);
        Interlocked.Increment(ref _activeReads);
        try
        {
            await _finish.Task.WaitAsync(cancellationToken);
            buffer.Span.Fill((byte)(offset >> 20));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Interlocked.Increment(ref _readsCancelled);
            throw;
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
}
