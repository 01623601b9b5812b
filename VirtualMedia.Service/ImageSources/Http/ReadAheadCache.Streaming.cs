using VirtualMedia.Nbd;

namespace VirtualMedia.Service.ImageSources.Http;

/// <summary>Read-ahead: one long ranged GET per sequential reader, read into pages a window ahead of the reader.</summary>
/// <remarks>
/// A GET per window-sized run cost ~380 requests per GiB with the default cache and four readers, and its size was
/// bounded by the cache's share of each reader. A streamed GET asks for <see cref="CacheGeometry.StreamSize"/> at once
/// and is read only as far as the window allows; the rest waits in the connection (TCP holds it back), so the
/// server sees a few long requests and the cache holds no more than the window.
/// </remarks>
internal sealed partial class ReadAheadCache
{
    private readonly List<ReadAheadStream> _aheads = [];

    /// <summary>Moves the window of the stream ahead of the reader whose frontier is <paramref name="frontier"/>, or
    /// starts one at the first page of the window not cached.</summary>
    /// <remarks>The window's pages are claimed here, as the reader moves, not once the stream's bytes come: the
    /// reader's next reads must find them loading (and wait) rather than missing (and fetch them again).</remarks>
    private void ReadAhead(long frontier, int windowPages)
    {
        var readerKey = frontier / _pageSize;
        ReadAheadStream stream;
        lock (_lock)
        {
            if (AheadOf(readerKey, windowPages) is { } ahead)
            {
                Follow(ahead, readerKey, windowPages);
                if (ahead.Successor is { } next)
                {
                    Follow(next, readerKey, windowPages);
                    return;
                }

                if (!WantsSuccessor(ahead))
                {
                    return;
                }

                stream = new ReadAheadStream(
                    ahead.EndKey, Math.Min(ahead.EndKey + (_streamSize / _pageSize), _table.PageCount), readerKey, windowPages, ahead);
                ahead.Successor = stream;
                Claim(stream);
            }
            else
            {
                var last = Math.Min(readerKey + windowPages, _table.PageCount);
                var key = readerKey;
                while (key < last && _table.Contains(key))
                {
                    key++;
                }

                if (key >= last || (Streaming() >= _maxReadAheadStreams && !StopIdlestWaiting()))
                {
                    return;
                }

                stream = new ReadAheadStream(key, Math.Min(key + (_streamSize / _pageSize), _table.PageCount), readerKey, windowPages);
                Claim(stream);
                if (stream.Claimed.Count == 0)
                {
                    return;
                }
            }

            _aheads.Add(stream);
            _runningFetches++;
        }

        _ = StreamAsync(stream);
    }

    /// <summary>Gives a stream its reader's new frontier and window, claiming what the window now covers (under the
    /// lock).</summary>
    private void Follow(ReadAheadStream stream, long readerKey, int windowPages)
    {
        stream.WindowPages = windowPages;
        if (readerKey > stream.ReaderKey)
        {
            stream.ReaderKey = readerKey;
            stream.MovedAt = Environment.TickCount64;
            Claim(stream);
            stream.Moved?.TrySetResult();
            stream.Moved = null;
        }
    }

    /// <summary>True when the reader is halfway through the stream's GET, which has more of the image after it, and
    /// there is room for one more streamed GET (under the lock).</summary>
    /// <remarks>The next GET is asked for then, not when the window reaches the end of this one: its first bytes come a
    /// round trip after it is sent, and a window of a few MiB is read in less than one on a long fast link (three
    /// gaps of 28-58 ms in a 660 ms read of 256 MiB at 20 ms). Its body waits in the connection until the reader comes,
    /// as the rest of a streamed GET does: the cache holds no more than before.</remarks>
    private bool WantsSuccessor(ReadAheadStream stream) =>
        stream.EndKey < _table.PageCount
        && (!stream.Ended || stream.Head == stream.EndKey)
        && (stream.Head - stream.StartKey) * 2 >= stream.EndKey - stream.StartKey
        && Streaming() < _maxReadAheadStreams;

    /// <summary>The stream ahead of a reader whose frontier is in page <paramref name="readerKey"/>, if any (a loop, not
    /// a lambda: this runs on every sequential read).</summary>
    private ReadAheadStream? AheadOf(long readerKey, int windowPages)
    {
        foreach (var stream in _aheads)
        {
            if (stream.IsAheadOf(readerKey, windowPages))
            {
                return stream;
            }
        }

        return null;
    }

    /// <summary>Streams still claiming pages. One that has claimed its last page (or stopped) is not counted while it
    /// reads what it claimed: its reader's next stream can start meanwhile instead of once the old one has left.</summary>
    private int Streaming()
    {
        var count = 0;
        foreach (var stream in _aheads)
        {
            count += stream.Ended ? 0 : 1;
        }

        return count;
    }

    /// <summary>Stops a successor asked for early, else the stream that has waited longest for its reader, with every
    /// page it claimed read and its reader still for a tenth of the reader pause, so that a reader with no stream gets
    /// one; false when there is none.</summary>
    /// <remarks>nbdcopy's readers jump to the next region when done with one; their old streams would hold their places
    /// for the reader pause (a second), and the readers' new regions be read by demand GETs of a window each meanwhile:
    /// up to 270 requests per GiB instead of ~70 on the bench. A stream whose reader is merely slower than the link
    /// waits as well, between reads a few milliseconds apart: it is not taken.</remarks>
    private bool StopIdlestWaiting()
    {
        var stillSince = Environment.TickCount64 - (long)(_readerPause.TotalMilliseconds / 10);
        ReadAheadStream? idlest = null;
        foreach (var stream in _aheads)
        {
            if (!stream.Ended && stream.Pending)
            {
                // Asked for before its reader needs it: the first to give way.
                idlest = stream;
                break;
            }

            if (!stream.Ended && stream.Moved is not null && stream.Claimed.Count == 0 && stream.MovedAt <= stillSince
                && (idlest is null || stream.MovedAt < idlest.MovedAt))
            {
                idlest = stream;
            }
        }

        if (idlest is null)
        {
            return false;
        }

        idlest.Ended = true;
        idlest.Moved!.TrySetResult();
        idlest.Moved = null;
        return true;
    }

    private async Task StreamAsync(ReadAheadStream stream)
    {
        // Read-ahead must not delay the reader that started it.
        await Task.Yield();
        long start, end;
        lock (_lock)
        {
            start = stream.StartKey * _pageSize;
            // A stream that already met a cached page asks for no more than it claimed; a successor stopped before
            // it was asked for, for nothing.
            end = Math.Min(_size, (stream.Ended ? stream.Head : stream.EndKey) * _pageSize);
        }

        try
        {
            if (end > start)
            {
                await _fetcher.FetchAsync(start, (int)(end - start), new StreamFollower(this, stream), _disposed.Token);
            }
        }
        catch (Exception e)
        {
            var error = e as ImageSourceException ?? new ImageSourceException(Errno.EIO, "image read failed", e);
            List<CachePage> unread;
            lock (_lock)
            {
                stream.Ended = true;
                unread = [.. stream.Claimed];
                stream.Claimed.Clear();
            }

            foreach (var page in unread)
            {
                Complete(page, default, error);
            }
        }
        finally
        {
            lock (_lock)
            {
                stream.Ended = true;
                _aheads.Remove(stream);
                if (stream.Successor is { } next)
                {
                    // Unlinked, or a reader's streams would stay reachable one from the next for the whole image.
                    next.Ended |= next.Orphaned;
                    next.Predecessor = null;
                    stream.Successor = null;
                    // A waiting successor goes on (or lets its GET go) now rather than at the reader's next move.
                    next.Moved?.TrySetResult();
                    next.Moved = null;
                }
            }

            FetchEnded();
        }
    }

    /// <summary>Where a retried GET of the stream starts: its first page not read yet.</summary>
    private long ResumeAt(ReadAheadStream stream)
    {
        lock (_lock)
        {
            return (stream.Claimed.TryPeek(out var next) ? next.Key : stream.Head) * _pageSize;
        }
    }

    /// <summary>Reads the body into the stream's pages, claiming them as the reader's window allows; returns (letting
    /// the rest of the GET go) once the stream has ended and its claimed pages are read, or its reader has not moved
    /// for the reader pause.</summary>
    private async Task FollowAsync(ReadAheadStream stream, Stream body, CancellationToken cancellationToken)
    {
        while (true)
        {
            CachePage? page;
            Task? moved = null;
            lock (_lock)
            {
                Claim(stream);
                if (!stream.Claimed.TryPeek(out page))
                {
                    if (stream.Ended)
                    {
                        return;
                    }

                    stream.Moved = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    moved = stream.Moved.Task;
                }
            }

            if (page is null)
            {
                try
                {
                    await moved!.WaitAsync(_readerPause, cancellationToken);
                }
                catch (TimeoutException)
                {
                    // Under the lock, so that no page is claimed for a stream about to let its GET go.
                    lock (_lock)
                    {
                        stream.Ended = true;
                    }
                }

                continue;
            }

            var length = PageLength(page.Key);
            await body.ReadExactlyAsync(_arena.AsMemory(page.Slot * _pageSize, length), cancellationToken);
            lock (_lock)
            {
                stream.Claimed.Dequeue();
            }

            Complete(page, new FetchRange(0, length), null);
        }
    }

    /// <summary>Claims the pages from the stream's head to the end of its reader's window (under the lock); a successor
    /// claims nothing until its predecessor has claimed all it had to.</summary>
    private void Claim(ReadAheadStream stream)
    {
        if (stream.Orphaned)
        {
            stream.Ended = true;
        }

        if (stream.Pending)
        {
            return;
        }

        var last = Math.Min(stream.ReaderKey + stream.WindowPages, stream.EndKey);
        while (!stream.Ended && stream.Head < last)
        {
            if (_table.Contains(stream.Head))
            {
                stream.Ended = true;
                break;
            }

            // No page to give up (all loading or being read): the stream waits for its reader as with a full window.
            var run = _table.ClaimRun(stream.Head, stream.Head);
            if (run.Length == 0)
            {
                break;
            }

            stream.Claimed.Enqueue(run[0]);
            stream.Head++;
        }

        if (stream.Head >= stream.EndKey)
        {
            stream.Ended = true;
        }
    }

    /// <summary>Hands a stream's GET to <see cref="FollowAsync"/>, and a retry to where the stream has got to.</summary>
    private sealed class StreamFollower(ReadAheadCache cache, ReadAheadStream stream) : IRangeConsumer
    {
        public long ResumeAt => cache.ResumeAt(stream);

        public ValueTask ConsumeAsync(Stream body, CancellationToken cancellationToken) =>
            new(cache.FollowAsync(stream, body, cancellationToken));
    }
}
