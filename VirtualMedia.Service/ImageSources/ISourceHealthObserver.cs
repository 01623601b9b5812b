using VirtualMedia.Nbd;

namespace VirtualMedia.Service.ImageSources;

/// <summary>Hears how a remote image's link is doing: each outage once as it begins and once as it ends, and the
/// one failure that gives the source up. Called from fetch tasks; must not block.</summary>
internal interface ISourceHealthObserver
{
    /// <summary>The first fetch failed after a success (or the start); retries have begun.</summary>
    void OutageBegan(string reason);

    /// <summary>A fetch succeeded again after an outage that lasted <paramref name="lasted"/>.</summary>
    void OutageEnded(TimeSpan lasted);

    /// <summary>The outage outlasted its budget: every read now fails with <paramref name="failure"/>.</summary>
    void SourceFailed(ImageSourceException failure);
}
