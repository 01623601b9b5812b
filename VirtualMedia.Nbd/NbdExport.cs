namespace VirtualMedia.Nbd;

/// <summary>One named export of an <see cref="IImageSource"/>, with its I/O counters.</summary>
/// <remarks>Counters are updated by every connection to the export and may be read from any thread.</remarks>
public sealed class NbdExport
{
    private long _readRequests;
    private long _writeRequests;
    private long _bytesRead;
    private long _bytesWritten;
    private long _lastRequestTicks;

    public NbdExport(IImageSource source, string name = "", string? description = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(name);
        Source = source;
        Name = name;
        Description = description;
    }

    /// <summary>The export name clients ask for ("" is the default export).</summary>
    public string Name { get; }

    /// <summary>Optional human-readable description (NBD_INFO_DESCRIPTION).</summary>
    public string? Description { get; }

    /// <summary>The image behind the export.</summary>
    public IImageSource Source { get; }

    /// <summary>READ requests completed successfully.</summary>
    public long ReadRequests => Interlocked.Read(ref _readRequests);

    /// <summary>WRITE requests completed successfully.</summary>
    public long WriteRequests => Interlocked.Read(ref _writeRequests);

    /// <summary>Bytes returned by successful reads.</summary>
    public long BytesRead => Interlocked.Read(ref _bytesRead);

    /// <summary>Bytes stored by successful writes.</summary>
    public long BytesWritten => Interlocked.Read(ref _bytesWritten);

    /// <summary>When the last request of any kind arrived (UTC), or null when none has yet.</summary>
    public DateTimeOffset? LastRequestTime
    {
        get
        {
            var ticks = Interlocked.Read(ref _lastRequestTicks);
            return ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    internal void NoteRequest() => Interlocked.Exchange(ref _lastRequestTicks, DateTime.UtcNow.Ticks);

    internal void NoteRead(int bytes)
    {
        Interlocked.Increment(ref _readRequests);
        Interlocked.Add(ref _bytesRead, bytes);
    }

    internal void NoteWrite(int bytes)
    {
        Interlocked.Increment(ref _writeRequests);
        Interlocked.Add(ref _bytesWritten, bytes);
    }
}
