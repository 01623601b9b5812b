namespace VirtualMedia.Service.ImageSources.Http;

/// <summary>The read-ahead of one sequential reader: where its streamed GET has got to and the reader's window.</summary>
/// <remarks>Not thread-safe: the cache reads and writes it under its lock.</remarks>
internal sealed class ReadAheadStream(
    long head, long endKey, long readerKey, int windowPages, ReadAheadStream? predecessor = null)
{
    /// <summary>The first page of the stream's GET.</summary>
    public long StartKey { get; } = head;

    /// <summary>The first page past the stream's GET.</summary>
    public long EndKey { get; } = endKey;

    /// <summary>The next image page to claim; the body's bytes for it come after those of <see cref="Claimed"/>.</summary>
    public long Head { get; set; } = head;

    /// <summary>The page of the reader's frontier (the end of its furthest read).</summary>
    public long ReaderKey { get; set; } = readerKey;

    /// <summary>When <see cref="ReaderKey"/> last moved (<see cref="Environment.TickCount64"/>).</summary>
    public long MovedAt { get; set; } = Environment.TickCount64;

    /// <summary>When the stream was asked for (<see cref="Environment.TickCount64"/>).</summary>
    public long StartedAt { get; } = Environment.TickCount64;

    /// <summary>The page of the reader's frontier when the stream was asked for: its pace is measured from here.</summary>
    public long StartReaderKey { get; } = readerKey;

    /// <summary>Pages the stream may claim past <see cref="ReaderKey"/>.</summary>
    public int WindowPages { get; set; } = windowPages;

    /// <summary>Pages claimed (loading) whose bytes are next in the body, in order.</summary>
    public Queue<CachePage> Claimed { get; } = new();

    /// <summary>Claims no more: its range is claimed, the next page is cached already, or its reader stopped.</summary>
    public bool Ended { get; set; }

    /// <summary>Completed when the reader moves on; set while the stream waits for room in the window.</summary>
    public TaskCompletionSource? Moved { get; set; }

    /// <summary>Wakes the stream if it waits (<see cref="Moved"/>); one that has not begun to wait (its GET not answered
    /// yet) has nothing to wake.</summary>
    public void Wake()
    {
        Moved?.TrySetResult();
        Moved = null;
    }

    /// <summary>The stream whose GET ends where this one's starts, when this one was asked for before it ended.</summary>
    public ReadAheadStream? Predecessor { get; set; } = predecessor;

    /// <summary>The stream asked for to go on where this one's GET ends.</summary>
    public ReadAheadStream? Successor { get; set; }

    /// <summary>True while this is a successor whose predecessor still claims: it waits, its GET asked for early.</summary>
    public bool Pending => Predecessor is { Ended: false };

    /// <summary>True when the predecessor stopped short of this stream's first page: nothing will lead its reader here.</summary>
    public bool Orphaned => Predecessor is { Ended: true } before && before.Head < before.EndKey;

    /// <summary>True when this is the stream ahead of a reader whose frontier is in page <paramref name="readerKey"/>:
    /// its head is within the window past it.</summary>
    public bool IsAheadOf(long readerKey, int windowPages) =>
        !Ended && !Pending && Head >= readerKey && Head - readerKey <= Math.Max(WindowPages, windowPages) + 1;
}
