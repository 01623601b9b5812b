using System.Buffers;
using System.Diagnostics;
using VirtualMedia.Nbd;

namespace VirtualMedia.Service.ImageSources.Upload;

/// <summary>
/// A web image served while it is copied to BMC storage (TransferMethod Upload): chunks already in the copy are read
/// from it; a host's read of others is fetched through the web source (its cache and retries) and its chunk fetched
/// into the copy beside it; a background filler fetches the rest in order. Once every chunk is in, the web source is
/// closed and never used again: the image server and the link can go. Any fetch or write that fails for good fails the
/// whole source (a changed image, an outage past its budget, a full disk), so no read ever mixes two versions of the image.
/// </summary>
internal sealed class UploadSource : IImageSource
{
    /// <summary>Bytes per chunk, the unit of the copy: one buffer per chunk in flight, one bit per chunk in the bitmap.</summary>
    internal const int ChunkSize = 256 * 1024;

    /// <summary>Chunk fetches at once (readers' and the filler's together): bounds the buffers to 1 MiB.</summary>
    internal const int MaxFills = 4;

    /// <summary>Chunks the background copy has in flight: fewer than <see cref="MaxFills"/>, so a host's miss finds a
    /// free slot instead of queueing behind the copy.</summary>
    private const int FillerWindow = 2;

    private readonly IImageSource _remote;
    private readonly UploadFile _file;
    private readonly ChunkMap _map;
    private readonly ISourceHealthObserver? _observer;
    private readonly UploadLog _log;
    private readonly SemaphoreSlim _fillSlots = new(MaxFills, MaxFills);
    private readonly Dictionary<long, Task> _fills = [];
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _lifetime = new();
    private readonly TaskCompletionSource _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _filler = Task.CompletedTask;
    private ImageSourceException? _failure;
    private int _remoteReads;
    private bool _closing;
    private TaskCompletionSource? _remoteReadsEnded;

    private UploadSource(IImageSource remote, UploadFile file, ISourceHealthObserver? observer, UploadLog log)
    {
        _remote = remote;
        _file = file;
        _observer = observer;
        _log = log;
        _map = new ChunkMap(remote.Size, ChunkSize);
        Size = remote.Size;
    }

    /// <inheritdoc />
    public long Size { get; }

    /// <inheritdoc />
    public bool IsWritable => false;

    /// <inheritdoc />
    public bool CanFlush => false;

    /// <inheritdoc />
    public bool CanTrim => false;

    /// <inheritdoc />
    public bool CanMultiConn => true;

    /// <summary>How far the copy has come.</summary>
    public TransferProgress Progress => new(_map.CopiedBytes, Size, _map.IsComplete);

    /// <summary>Completes once the whole image is in the copy (and the web source is closed).</summary>
    public Task Completed => _completed.Task;

    /// <summary>Where the copy lives.</summary>
    public string FilePath => _file.Path;

    /// <summary>Serves <paramref name="remote"/> through a copy in <paramref name="file"/>, starting the background copy;
    /// owns both from now on. Fills that fail for good are told to <paramref name="observer"/> (the slot ejects).</summary>
    public static UploadSource Start(IImageSource remote, UploadFile file, ISourceHealthObserver? observer, UploadLog log)
    {
        var source = new UploadSource(remote, file, observer, log);
        source._filler = source.FillAllAsync();
        return source;
    }

    /// <inheritdoc />
    public async ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (!buffer.IsEmpty)
        {
            var chunk = _map.ChunkOf(offset);
            var length = (int)Math.Min(buffer.Length, _map.StartOf(chunk) + _map.LengthOf(chunk) - offset);
            if (_map.Has(chunk))
            {
                await ReadCopyAsync(offset, buffer[..length], cancellationToken);
            }
            else if (!await TryReadRemoteAsync(chunk, offset, buffer[..length], cancellationToken))
            {
                await EnsureAsync(chunk).WaitAsync(cancellationToken);
                await ReadCopyAsync(offset, buffer[..length], cancellationToken);
            }

            offset += length;
            buffer = buffer[length..];
        }
    }

    // The NBD server never calls these on a read-only export without flush or trim; should it, the web source's own
    // refusal is the answer (it keeps no state for them, so it gives it even once closed).

    /// <inheritdoc />
    public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        _remote.WriteAsync(offset, data, cancellationToken);

    /// <inheritdoc />
    public ValueTask FlushAsync(CancellationToken cancellationToken) => _remote.FlushAsync(cancellationToken);

    /// <inheritdoc />
    public ValueTask TrimAsync(long offset, long length, CancellationToken cancellationToken) =>
        _remote.TrimAsync(offset, length, cancellationToken);

    /// <summary>Stops the copy, closes the web source and deletes the copy.</summary>
    public async ValueTask DisposeAsync()
    {
        await _lifetime.CancelAsync();
        await _filler;
        Task[] fills;
        lock (_lock)
        {
            fills = [.. _fills.Values];
        }

        try
        {
            await Task.WhenAll(fills);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Each fill's failure was already told to its readers and the observer.
        }

        try
        {
            await CloseRemoteAsync();
        }
        finally
        {
            // Whatever closing the web source did, the copy goes: a slot in Upload mode leaves no file behind.
            _file.Dispose();
            _lifetime.Dispose();
            _fillSlots.Dispose();
        }
    }

    /// <summary>Copies every chunk not yet copied, in order, a few at once, then closes the web source.</summary>
    private async Task FillAllAsync()
    {
        await Task.Yield();
        var clock = Stopwatch.StartNew();
        _log.Started(Size, _file.Path);
        var window = new Queue<Task>();
        try
        {
            for (var chunk = 0L; chunk < _map.Count; chunk++)
            {
                if (!_map.Has(chunk))
                {
                    window.Enqueue(EnsureAsync(chunk));
                }

                if (window.Count >= FillerWindow)
                {
                    await window.Dequeue();
                }
            }

            while (window.TryDequeue(out var fill))
            {
                await fill;
            }

            await CloseRemoteAsync();
            _completed.TrySetResult();
            _log.Completed(Size, clock.Elapsed);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Unmounted or stopped mid-copy (nothing to say), or failed: the fill that failed has told the observer.
            if (!_lifetime.IsCancellationRequested)
            {
                Fail(e);
            }
        }
    }

    /// <summary>The copy of <paramref name="chunk"/>: done, already under way (shared), or started now. It runs on the
    /// source's lifetime, not a reader's: a reader giving up must not cancel what others wait for.</summary>
    private Task EnsureAsync(long chunk)
    {
        lock (_lock)
        {
            return _failure is { } failure ? Task.FromException(failure) : EnsureLocked(chunk);
        }
    }

    private Task EnsureLocked(long chunk)
    {
        if (_map.Has(chunk))
        {
            return Task.CompletedTask;
        }

        if (!_fills.TryGetValue(chunk, out var fill))
        {
            fill = FillAsync(chunk);
            _fills[chunk] = fill;
        }

        return fill;
    }

    /// <summary>
    /// A host's read of a chunk not copied yet: its bytes straight from the web source (through its cache, as quick as
    /// streaming), the chunk's copy started beside it. Waiting for the chunk instead cost the host up to 0.2 s at p99
    /// on the bench (the chunk's write stalls behind the copy's dirty pages). False once the web source is closing:
    /// then every chunk is in the copy.
    /// </summary>
    private async Task<bool> TryReadRemoteAsync(long chunk, long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_failure is { } failure)
            {
                throw failure;
            }

            if (_closing)
            {
                return false;
            }

            _remoteReads++;
            _ = EnsureLocked(chunk);
        }

        try
        {
            await _remote.ReadAsync(offset, destination, cancellationToken);
            return true;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && !_lifetime.IsCancellationRequested)
        {
            throw Fail(e);
        }
        finally
        {
            lock (_lock)
            {
                if (--_remoteReads == 0)
                {
                    _remoteReadsEnded?.TrySetResult();
                }
            }
        }
    }

    private async Task FillAsync(long chunk)
    {
        await Task.Yield();
        byte[]? buffer = null;
        var slot = false;
        try
        {
            await _fillSlots.WaitAsync(_lifetime.Token);
            slot = true;
            var start = _map.StartOf(chunk);
            var length = _map.LengthOf(chunk);
            buffer = ArrayPool<byte>.Shared.Rent(length);
            await _remote.ReadAsync(start, buffer.AsMemory(0, length), _lifetime.Token);
            await RandomAccess.WriteAsync(_file.Handle, buffer.AsMemory(0, length), start, _lifetime.Token);
            _map.Mark(chunk);
        }
        catch (Exception e) when (!_lifetime.IsCancellationRequested)
        {
            throw Fail(e);
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            if (slot)
            {
                _fillSlots.Release();
            }

            lock (_lock)
            {
                _fills.Remove(chunk);
            }
        }
    }

    /// <summary>Fails the source for good with the first failure: every later miss gets it at once.</summary>
    private ImageSourceException Fail(Exception e)
    {
        ImageSourceException failure;
        lock (_lock)
        {
            _failure ??= e as ImageSourceException
                ?? new ImageSourceException(UploadFile.ErrnoOf(e), $"the copy to {_file.Path} failed: {e.Message}", e);
            failure = _failure;
        }

        _observer?.SourceFailed(failure);
        return failure;
    }

    private async Task ReadCopyAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        while (!destination.IsEmpty)
        {
            var read = await RandomAccess.ReadAsync(_file.Handle, destination, offset, cancellationToken);
            if (read == 0)
            {
                throw new ImageSourceException(Errno.EIO, $"the copy {_file.Path} ends before the image does");
            }

            offset += read;
            destination = destination[read..];
        }
    }

    /// <summary>Closes the web source once the host's reads from it have ended; later misses wait for the copy.</summary>
    private async Task CloseRemoteAsync()
    {
        Task? remoteReads = null;
        lock (_lock)
        {
            if (_closing)
            {
                return;
            }

            _closing = true;
            if (_remoteReads > 0)
            {
                _remoteReadsEnded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                remoteReads = _remoteReadsEnded.Task;
            }
        }

        if (remoteReads is not null)
        {
            await remoteReads;
        }

        await _remote.DisposeAsync();
    }
}
