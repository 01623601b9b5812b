namespace VirtualMedia.Service.ImageSources.Http;

/// <summary>A byte range [Start, End) of the image or of one cache page.</summary>
internal readonly record struct FetchRange(long Start, long End)
{
    public long Length => End - Start;

    /// <summary>The part of this range inside [<paramref name="start"/>, <paramref name="end"/>).</summary>
    public FetchRange Within(long start, long end) => new(Math.Max(Start, start), Math.Min(End, end));

    public FetchRange Shift(long delta) => new(Start + delta, End + delta);
}
