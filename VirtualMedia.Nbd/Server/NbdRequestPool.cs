namespace VirtualMedia.Nbd.Server;

/// <summary>Request slots with their buffers, shared by all connections of a server and bounded in bytes, so a
/// client that reconnects (or nbdcopy's four connections, run after run) reuses buffers instead of leaving
/// megabytes of garbage on the large-object heap each time.</summary>
internal sealed class NbdRequestPool
{
    /// <summary>Kept slots, smallest buffer first: a connection rents the largest first, and its first requests
    /// take the first slots rented, so buffers that are kept are the ones used again.</summary>
    private readonly List<NbdRequest> _free = [];
    private readonly Lock _lock = new();
    private readonly long _maxRetainedBytes;
    private long _retainedBytes;

    public NbdRequestPool(long maxRetainedBytes)
    {
        _maxRetainedBytes = maxRetainedBytes;
    }

    /// <summary>Bytes of buffers held for the next connections.</summary>
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

    public NbdRequest Rent()
    {
        lock (_lock)
        {
            if (_free.Count > 0)
            {
                var request = _free[^1];
                _free.RemoveAt(_free.Count - 1);
                _retainedBytes -= request.Capacity;
                return request;
            }
        }

        return new NbdRequest();
    }

    /// <summary>Keeps <paramref name="request"/> for the next connection while the bound allows, else drops it.</summary>
    public void Return(NbdRequest request)
    {
        request.Release();
        lock (_lock)
        {
            if (_retainedBytes + request.Capacity <= _maxRetainedBytes)
            {
                var index = _free.FindIndex(kept => kept.Capacity > request.Capacity);
                _free.Insert(index < 0 ? _free.Count : index, request);
                _retainedBytes += request.Capacity;
            }
        }
    }
}
