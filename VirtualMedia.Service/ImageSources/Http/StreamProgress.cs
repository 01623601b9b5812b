namespace VirtualMedia.Service.ImageSources.Http;

/// <summary>One reader as <see cref="SequentialStreams"/> follows it: its frontier, the bytes it read, and the bytes it
/// jumped over and has not read since.</summary>
/// <remarks>A read behind the frontier counts only for what it reads of a recorded gap: pipelined reads arriving out of
/// order fill the gaps the reads before them left, where a random reader's read behind the frontier mostly lands on
/// what it had read or never skipped.</remarks>
internal sealed class StreamProgress
{
    private const int MaxGaps = 4;
    private const int HitsToBeSequential = 3;

    private readonly long[] _gapStart = new long[MaxGaps];
    private readonly long[] _gapEnd = new long[MaxGaps];
    private int _gaps;
    private int _hits;
    private long _read;
    private long _skipped;

    /// <summary>Where the stream's next read would start; -1 before its first.</summary>
    public long Next { get; private set; } = -1;

    /// <summary>The clock of the stream's last read.</summary>
    public long LastUse { get; private set; }

    /// <summary>Moved forward a few times and read at least twice what it jumped over and did not read since.</summary>
    public bool IsSequential => _hits >= HitsToBeSequential && 2 * _skipped <= _read;

    /// <summary>Starts following a new reader at its first read.</summary>
    public void Start(long offset, int length, long clock)
    {
        Next = offset + length;
        _hits = 0;
        _read = length;
        _skipped = 0;
        _gaps = 0;
        LastUse = clock;
    }

    /// <summary>Records a read of this stream; true when it moved the frontier. Counts are halved past
    /// <paramref name="memory"/> bytes read, so what the stream does now outweighs what it did long ago.</summary>
    public bool Advance(long offset, int length, long clock, long memory)
    {
        LastUse = clock;
        var end = offset + length;
        Fill(offset, end);
        var moved = end > Next;
        if (moved)
        {
            if (offset > Next)
            {
                _skipped += offset - Next;
                AddGap(Next, offset);
            }

            _read += end - Math.Max(offset, Next);
            Next = end;
            _hits++;
        }

        if (_read > memory)
        {
            _read /= 2;
            _skipped /= 2;
        }

        return moved;
    }

    /// <summary>Moves what [start, end) reads of the recorded gaps from skipped to read, and keeps what is left of them
    /// (the newest, when a read in the middle of gaps split more than there is room for).</summary>
    private void Fill(long start, long end)
    {
        Span<long> starts = stackalloc long[2 * MaxGaps];
        Span<long> ends = stackalloc long[2 * MaxGaps];
        var count = 0;
        for (var i = 0; i < _gaps; i++)
        {
            var from = Math.Max(start, _gapStart[i]);
            var to = Math.Min(end, _gapEnd[i]);
            if (from >= to)
            {
                (starts[count], ends[count++]) = (_gapStart[i], _gapEnd[i]);
                continue;
            }

            var filled = Math.Min(to - from, _skipped);
            _skipped -= filled;
            _read += filled;
            if (_gapStart[i] < from)
            {
                (starts[count], ends[count++]) = (_gapStart[i], from);
            }

            if (to < _gapEnd[i])
            {
                (starts[count], ends[count++]) = (to, _gapEnd[i]);
            }
        }

        var kept = Math.Min(count, MaxGaps);
        starts[(count - kept)..count].CopyTo(_gapStart);
        ends[(count - kept)..count].CopyTo(_gapEnd);
        _gaps = kept;
    }

    /// <summary>Records a gap; with no room the oldest is forgotten (its bytes stay skipped until halved away).</summary>
    private void AddGap(long start, long end)
    {
        if (_gaps == MaxGaps)
        {
            Array.Copy(_gapStart, 1, _gapStart, 0, MaxGaps - 1);
            Array.Copy(_gapEnd, 1, _gapEnd, 0, MaxGaps - 1);
            _gaps--;
        }

        _gapStart[_gaps] = start;
        _gapEnd[_gaps] = end;
        _gaps++;
    }
}
