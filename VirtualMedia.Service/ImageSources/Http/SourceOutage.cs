using System.Diagnostics.CodeAnalysis;
using VirtualMedia.Nbd;

namespace VirtualMedia.Service.ImageSources.Http;

/// <summary>
/// The state of one image source's link, shared by all its fetches: an outage begins with the first failure after a
/// success and ends with the next success; one that lasts longer than the budget fails the source for good, so every
/// later read fails at once instead of waiting out another budget. Pure and clocked: the fetcher feeds it events.
/// </summary>
internal sealed class SourceOutage
{
    private readonly TimeSpan _budget;
    private readonly TimeProvider _clock;
    private readonly Lock _lock = new();
    private long? _since;
    private ImageSourceException? _failure;

    public SourceOutage(TimeSpan budget, TimeProvider clock)
    {
        _budget = budget;
        _clock = clock;
    }

    /// <summary>The longest outage retried before the source is given up.</summary>
    public TimeSpan Budget => _budget;

    /// <summary>The error every read gets once the source has failed for good; null before.</summary>
    public ImageSourceException? Failure
    {
        get
        {
            lock (_lock)
            {
                return _failure;
            }
        }
    }

    /// <summary>A fetch failed; says whether this began an outage, and whether the budget is spent once
    /// <paramref name="nextDelay"/> has passed (then the source has failed with <paramref name="failure"/>).</summary>
    public OutageStep Failed(TimeSpan nextDelay, Func<TimeSpan, ImageSourceException> failure)
    {
        lock (_lock)
        {
            if (_failure is not null)
            {
                return new OutageStep(false, _failure, false);
            }

            var now = _clock.GetTimestamp();
            var began = _since is null;
            _since ??= now;
            var lasted = _clock.GetElapsedTime(_since.Value, now);
            if (lasted + nextDelay <= _budget)
            {
                return new OutageStep(began, null, false);
            }

            _failure = failure(lasted);
            return new OutageStep(began, _failure, true);
        }
    }

    /// <summary>A fetch succeeded: ends an outage, returning how long it lasted (null when there was none).</summary>
    public TimeSpan? Succeeded()
    {
        lock (_lock)
        {
            if (_since is not { } since || _failure is not null)
            {
                return null;
            }

            _since = null;
            return _clock.GetElapsedTime(since);
        }
    }

    /// <summary>True, with the error, once the source has failed for good.</summary>
    public bool HasFailed([NotNullWhen(true)] out ImageSourceException? failure)
    {
        failure = Failure;
        return failure is not null;
    }
}

/// <summary>What one failure meant: it <paramref name="Began"/> an outage; the source has failed (<paramref name="Failure"/>,
/// <paramref name="JustFailed"/> the first time it is reported).</summary>
internal readonly record struct OutageStep(bool Began, ImageSourceException? Failure, bool JustFailed);
