using VirtualMedia.Nbd;

namespace VirtualMedia.Service.ImageSources.Http;

/// <summary>A read-ahead stream's GET: its body read into the pages claimed for it, in order, as its reader's window
/// allows, and let go when its reader stops.</summary>
internal sealed partial class ReadAheadCache
{
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
                    next.Wake();
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
    /// the rest of the GET go) once the stream has ended and its claimed pages are read, or it has read nothing for the
    /// reader pause (its reader still, or, a successor, its predecessor not done).</summary>
    private async Task FollowAsync(ReadAheadStream stream, Stream body, CancellationToken cancellationToken)
    {
        // The attempt's stall deadline runs from the body's last read, whatever wakes the stream meanwhile (its reader
        // moving without opening the window, or, a successor, before its predecessor is done): so does the pause.
        var readAt = Environment.TickCount64;
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
                var left = _readerPause - TimeSpan.FromMilliseconds(Environment.TickCount64 - readAt);
                if (left <= TimeSpan.Zero || !await WokenAsync(moved!, left, cancellationToken))
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
            readAt = Environment.TickCount64;
            lock (_lock)
            {
                stream.Claimed.Dequeue();
            }

            Complete(page, new FetchRange(0, length), null);
        }
    }

    /// <summary>False when <paramref name="moved"/> did not complete within <paramref name="timeout"/>.</summary>
    private static async Task<bool> WokenAsync(Task moved, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await moved.WaitAsync(timeout, cancellationToken);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
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
