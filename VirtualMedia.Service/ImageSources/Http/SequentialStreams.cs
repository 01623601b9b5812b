namespace VirtualMedia.Service.ImageSources.Http;

/// <summary>Recognises sequential readers among interleaved requests (several clients, pipelined, slightly out of order).</summary>
/// <remarks>
/// A read continues a stream when it falls within the slack around the stream's frontier; the stream is sequential once it
/// has moved forward a few times and read at least as many bytes as it jumped over. Without the second rule, random reads
/// of an image not much larger than the slack times the streams tracked (a 64 MiB rescue image: 8 streams of ±8 MiB)
/// nearly all continued some stream, were read ahead of, and evicted one another: 4 KiB reads took 0.3-0.6 ms, cached
/// re-reads too, where nbdkit took 0.13.
/// Not thread-safe: the cache calls it under its lock.
/// </remarks>
internal sealed class SequentialStreams
{
    private const int Tracked = 8;
    private const int HitsToBeSequential = 3;

    /// <summary>Slacks of bytes a stream's counts reach before they are halved: what it read long ago weighs less, so a
    /// reader that turns random is seen to within a few reads.</summary>
    private const int Memory = 4;

    /// <summary>Reads (of any stream) within which a stream's last read must fall for it to count as active.</summary>
    private const int RecentReads = 64;

    private readonly long _slack;
    private readonly long[] _next = new long[Tracked];
    private readonly int[] _hits = new int[Tracked];
    private readonly long[] _read = new long[Tracked];
    private readonly long[] _skipped = new long[Tracked];
    private readonly long[] _lastUse = new long[Tracked];
    private long _clock;

    public SequentialStreams(long slack)
    {
        _slack = slack;
        Array.Fill(_next, -1);
    }

    /// <summary>Sequential streams that read recently (at least 1): they share the cache's memory.</summary>
    public int Active()
    {
        var active = 0;
        for (var i = 0; i < Tracked; i++)
        {
            if (IsSequential(i) && _clock - _lastUse[i] < RecentReads)
            {
                active++;
            }
        }

        return Math.Max(active, 1);
    }

    /// <summary>Records a read; returns true with the stream's frontier when it continues a sequential stream.</summary>
    public bool Note(long offset, int length, out long frontier)
    {
        _clock++;
        var end = offset + length;
        for (var i = 0; i < Tracked; i++)
        {
            if (_next[i] >= 0 && offset >= _next[i] - _slack && offset <= _next[i] + _slack)
            {
                // Only progress counts: readers re-reading one block are not a stream to read ahead of.
                if (end > _next[i])
                {
                    _skipped[i] += Math.Max(0, offset - _next[i]);
                    _next[i] = end;
                    _hits[i]++;
                }

                _read[i] += length;
                if (_read[i] > Memory * _slack)
                {
                    _read[i] /= 2;
                    _skipped[i] /= 2;
                }

                _lastUse[i] = _clock;
                frontier = _next[i];
                return IsSequential(i);
            }
        }

        var oldest = 0;
        for (var i = 1; i < Tracked; i++)
        {
            if (_lastUse[i] < _lastUse[oldest])
            {
                oldest = i;
            }
        }

        _next[oldest] = end;
        _hits[oldest] = 0;
        _read[oldest] = length;
        _skipped[oldest] = 0;
        _lastUse[oldest] = _clock;
        frontier = end;
        return false;
    }

    private bool IsSequential(int stream) => _hits[stream] >= HitsToBeSequential && _skipped[stream] <= _read[stream];
}
