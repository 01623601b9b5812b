using VirtualMedia.Service.ImageSources.Upload;

namespace VirtualMedia.Service.Slots;

/// <summary>
/// Paces a copy's progress for PropertiesChanged: a new BytesCopied at most once a second, however often the slot
/// publishes; the start of a copy, its end (Complete) and its removal go out at once. Pure and clocked.
/// </summary>
internal sealed class ProgressThrottle
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private readonly TimeProvider _clock;
    private TransferProgress _published;
    private long _publishedAt;

    public ProgressThrottle(TimeProvider clock) => _clock = clock;

    /// <summary>The progress to publish now, given the <paramref name="live"/> one: it, or what was published last.</summary>
    public TransferProgress Next(TransferProgress live)
    {
        if (live == _published)
        {
            return _published;
        }

        var now = _clock.GetTimestamp();
        var milestone = live.Complete != _published.Complete || live.Size != _published.Size;
        if (milestone || _clock.GetElapsedTime(_publishedAt, now) >= Interval)
        {
            _published = live;
            _publishedAt = now;
        }

        return _published;
    }
}
