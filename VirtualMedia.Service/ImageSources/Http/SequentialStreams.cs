namespace VirtualMedia.Service.ImageSources.Http;

/// <summary>Recognises sequential readers among interleaved requests (several clients, pipelined, slightly out of order).</summary>
/// <remarks>
/// A read continues a stream when it falls within the slack around the stream's frontier, and is sequential when it moves
/// a sequential stream's frontier (<see cref="StreamProgress.IsSequential"/>). Slack alone made random reads of an image
/// not much larger than the slack times the streams tracked (a 64 MiB rescue image: 8 streams of ±8 MiB) nearly all
/// continue some stream: 296 of 400 random 4 KiB reads were read ahead of and evicted one another, fetching 170 MB for
/// 1.6 MB read; they took 0.3-0.6 ms, and cached re-reads too, where nbdkit took 0.13. A read behind the frontier is never
/// sequential: a stream's own late reads find their pages fetched already, and a random reader behind a stream it once
/// looked like must not start read-ahead.
/// Not thread-safe: the cache calls it under its lock.
/// </remarks>
internal sealed class SequentialStreams
{
    private const int Tracked = 8;

    /// <summary>Slacks of bytes a stream reads before its counts are halved: a reader that turns random is seen to be
    /// within a few reads.</summary>
    private const int Memory = 4;

    /// <summary>Reads (of any stream) within which a stream's last read must fall for it to count as active.</summary>
    private const int RecentReads = 64;

    private readonly long _slack;
    private readonly StreamProgress[] _streams = new StreamProgress[Tracked];
    private long _clock;

    public SequentialStreams(long slack)
    {
        _slack = slack;
        for (var i = 0; i < Tracked; i++)
        {
            _streams[i] = new StreamProgress();
        }
    }

    /// <summary>Sequential streams that read recently (at least 1): they share the cache's memory.</summary>
    public int Active()
    {
        var active = 0;
        foreach (var stream in _streams)
        {
            if (stream.IsSequential && _clock - stream.LastUse < RecentReads)
            {
                active++;
            }
        }

        return Math.Max(active, 1);
    }

    /// <summary>Records a read; returns true with the stream's frontier when it moves a sequential stream forward.</summary>
    public bool Note(long offset, int length, out long frontier)
    {
        _clock++;
        foreach (var stream in _streams)
        {
            if (stream.Next >= 0 && offset >= stream.Next - _slack && offset <= stream.Next + _slack)
            {
                var moved = stream.Advance(offset, length, _clock, Memory * _slack);
                frontier = stream.Next;
                return moved && stream.IsSequential;
            }
        }

        var oldest = _streams[0];
        foreach (var stream in _streams)
        {
            if (stream.LastUse < oldest.LastUse)
            {
                oldest = stream;
            }
        }

        oldest.Start(offset, length, _clock);
        frontier = oldest.Next;
        return false;
    }
}
