namespace VirtualMedia.Service.ImageSources.Http;

/// <summary>Read-ahead: one long ranged GET per sequential reader, read into pages a window ahead of the reader, and
/// the next one asked for shortly before the reader gets to its end.</summary>
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
                if (ahead.Successor is { Ended: false } next)
                {
                    Follow(next, readerKey, windowPages);
                    return;
                }

                if (!WantsSuccessor(ahead))
                {
                    return;
                }

                stream = new ReadAheadStream(
                    ahead.EndKey, StreamEnd(ahead.EndKey), readerKey, windowPages, predecessor: ahead);
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

                stream = new ReadAheadStream(key, StreamEnd(key), readerKey, windowPages);
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

    /// <summary>The first page past a streamed GET that starts at page <paramref name="key"/>.</summary>
    private long StreamEnd(long key) => Math.Min(key + (_streamSize / _pageSize), _table.PageCount);

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
            stream.Wake();
        }
    }

    /// <summary>True when, at the pace its reader has kept since the stream was asked for, the reader will reach the
    /// end of the stream's GET within half the reader pause, the image goes on past it, and there is room for one more
    /// streamed GET (under the lock).</summary>
    /// <remarks>The next GET is asked for then, not when the window reaches the end of this one: its first bytes come a
    /// round trip after it is sent, and a window of a few MiB is read in less than one on a long fast link, so every
    /// 64 MiB the reader waited about a round trip (256 MiB at 100 ms: 306 MB/s, 380 with the next GET asked for
    /// early). Its body waits in the connection until the reader comes, as the rest of a streamed GET does: the cache
    /// holds no more than before. Not sooner: a successor that has read nothing for the reader pause lets its GET go
    /// (<see cref="FollowAsync"/>).</remarks>
    private bool WantsSuccessor(ReadAheadStream stream)
    {
        var moved = stream.ReaderKey - stream.StartReaderKey;
        var elapsed = Environment.TickCount64 - stream.StartedAt;
        return stream.EndKey < _table.PageCount
            && (!stream.Ended || stream.Head == stream.EndKey)
            && moved > 0
            && (stream.EndKey - stream.ReaderKey) * elapsed <= moved * (long)(_readerPause.TotalMilliseconds / 2)
            && Streaming() < _maxReadAheadStreams;
    }

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
        idlest.Wake();
        return true;
    }
}
