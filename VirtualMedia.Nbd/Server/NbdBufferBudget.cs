using System.Numerics;

namespace VirtualMedia.Nbd.Server;

/// <summary>The request and reply buffers of every connection of a server, bounded in bytes: a request waits for room
/// before its buffer exists, gives it back once its reply is sent or abandoned, and idle buffers are kept for the next
/// requests (and the next connections) while the bound allows.</summary>
/// <remarks>
/// Buffers hold a power-of-two data capacity (from <see cref="MinimumCapacity"/>) so a buffer serves requests of other
/// sizes too; they count by that capacity (each carries <see cref="NbdRequest.HeaderRoom"/> more bytes for the reply
/// header). Bytes in use plus bytes kept idle never exceed <see cref="Limit"/>: idle buffers are dropped when a request
/// needs their room. When room comes free, the waiting requests that fit are served, earliest first: a large request
/// waiting behind a client that never drains its replies must not stop the small requests of every other client.
/// </remarks>
internal sealed class NbdBufferBudget
{
    public const int MinimumCapacity = 4096;

    private readonly Lock _lock = new();
    private readonly LinkedList<Waiter> _waiters = [];

    /// <summary>Idle buffers by capacity class (log2 of the capacity).</summary>
    private readonly Stack<byte[]>[] _idle = [.. Enumerable.Range(0, 32).Select(_ => new Stack<byte[]>())];
    private readonly long _maxRetainedBytes;
    private long _bytesInUse;
    private long _peakBytesInUse;
    private long _retainedBytes;

    public NbdBufferBudget(long limit, long maxRetainedBytes)
    {
        Limit = limit;
        _maxRetainedBytes = Math.Min(maxRetainedBytes, limit);
    }

    /// <summary>Bytes all buffers of the server may hold at once, in use or idle.</summary>
    public long Limit { get; }

    /// <summary>Bytes of buffers held by requests (being served, or replies being sent).</summary>
    public long BytesInUse
    {
        get
        {
            lock (_lock)
            {
                return _bytesInUse;
            }
        }
    }

    /// <summary>The most <see cref="BytesInUse"/> has been.</summary>
    public long PeakBytesInUse
    {
        get
        {
            lock (_lock)
            {
                return _peakBytesInUse;
            }
        }
    }

    /// <summary>Bytes of idle buffers kept for later requests.</summary>
    public long RetainedBytes
    {
        get
        {
            lock (_lock)
            {
                return _retainedBytes;
            }
        }
    }

    /// <summary>Requests waiting for room.</summary>
    public int Waiting
    {
        get
        {
            lock (_lock)
            {
                return _waiters.Count;
            }
        }
    }

    /// <summary>The data capacity of the buffer a request of <paramref name="length"/> bytes gets.</summary>
    public static int CapacityFor(uint length) => (int)Math.Max(MinimumCapacity, BitOperations.RoundUpToPowerOf2(length));

    /// <summary>A buffer with room for <paramref name="length"/> bytes of data after the header room, once the budget
    /// has room for it; give it back with <see cref="Return"/>.</summary>
    public async ValueTask<byte[]> RentAsync(uint length, CancellationToken cancellationToken)
    {
        var capacity = CapacityFor(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, Limit, nameof(length));
        Waiter waiter;
        lock (_lock)
        {
            if (TryTake(capacity, out var idle))
            {
                return idle ?? Allocate(capacity);
            }

            waiter = new Waiter(capacity);
            _waiters.AddLast(waiter);
        }

        byte[]? granted;
        using (cancellationToken.UnsafeRegister(_ => Abandon(waiter, cancellationToken), null))
        {
            granted = await waiter.Task.ConfigureAwait(false);
        }

        return granted ?? Allocate(capacity);
    }

    /// <summary>Gives a buffer back: kept idle while the retention bound allows, else dropped; waiting requests that
    /// now fit are served.</summary>
    public void Return(byte[] buffer) => Release(buffer.Length - NbdRequest.HeaderRoom, buffer);

    private void Release(int capacity, byte[]? buffer)
    {
        List<(Waiter Waiter, byte[]? Buffer)> granted;
        lock (_lock)
        {
            _bytesInUse -= capacity;
            if (buffer is not null && _retainedBytes + capacity <= _maxRetainedBytes)
            {
                _idle[BitOperations.Log2((uint)capacity)].Push(buffer);
                _retainedBytes += capacity;
            }

            granted = GrantWaiters();
        }

        Complete(granted);
    }

    /// <summary>Serves every waiting request that fits, earliest first; the caller completes them outside the lock.</summary>
    private List<(Waiter Waiter, byte[]? Buffer)> GrantWaiters()
    {
        List<(Waiter Waiter, byte[]? Buffer)> granted = [];
        for (var node = _waiters.First; node is not null && _bytesInUse < Limit;)
        {
            var next = node.Next;
            if (TryTake(node.Value.Capacity, out var idle))
            {
                _waiters.Remove(node);
                granted.Add((node.Value, idle));
            }

            node = next;
        }

        return granted;
    }

    private static void Complete(List<(Waiter Waiter, byte[]? Buffer)> granted)
    {
        foreach (var (waiter, buffer) in granted)
        {
            waiter.SetResult(buffer);
        }
    }

    /// <summary>Reserves <paramref name="capacity"/> bytes when they fit, with an idle buffer of that size if there is
    /// one (else the caller allocates); idle buffers of other sizes are dropped as far as needed to make room.</summary>
    private bool TryTake(int capacity, out byte[]? idle)
    {
        idle = null;
        if (_bytesInUse + capacity > Limit)
        {
            return false;
        }

        if (_idle[BitOperations.Log2((uint)capacity)].TryPop(out idle))
        {
            _retainedBytes -= capacity;
        }
        else
        {
            for (var size = _idle.Length - 1; size >= 0 && _bytesInUse + _retainedBytes + capacity > Limit; size--)
            {
                while (_bytesInUse + _retainedBytes + capacity > Limit && _idle[size].TryPop(out _))
                {
                    _retainedBytes -= 1L << size;
                }
            }
        }

        _bytesInUse += capacity;
        _peakBytesInUse = Math.Max(_peakBytesInUse, _bytesInUse);
        return true;
    }

    private byte[] Allocate(int capacity)
    {
        try
        {
            return GC.AllocateUninitializedArray<byte>(NbdRequest.HeaderRoom + capacity);
        }
        catch (OutOfMemoryException)
        {
            Release(capacity, null);
            throw;
        }
    }

    /// <summary>A waiting request was cancelled: it leaves the queue, unless it has just been served (then the caller receives the buffer and gives it back as usual).</summary>
    private void Abandon(Waiter waiter, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (!_waiters.Remove(waiter))
            {
                return;
            }
        }

        waiter.SetCanceled(cancellationToken);
    }

    /// <summary>A request waiting for <see cref="Capacity"/> bytes; its result is an idle buffer, or null to allocate.</summary>
    private sealed class Waiter(int capacity) : TaskCompletionSource<byte[]?>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public int Capacity { get; } = capacity;
    }
}
