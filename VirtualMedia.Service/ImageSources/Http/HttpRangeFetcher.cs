using System.Runtime.CompilerServices;
using VirtualMedia.Nbd;

namespace VirtualMedia.Service.ImageSources.Http;

/// <summary>
/// Ranged GETs that ride out a flaky link: a failed attempt (a broken or stalled connection, a 5xx) is retried with
/// backoff for as long as the source's outage stays within its budget; past it the source has failed for good and
/// every read fails with EIO at once. The outage is shared by all fetches of the source and told to the observer.
/// </summary>
internal sealed class HttpRangeFetcher : IRangeFetcher
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(1);

    private readonly HttpRangeClient _client;
    private readonly SourceOutage _outage;
    private readonly TimeSpan _stall;
    private readonly ISourceHealthObserver? _observer;

    public HttpRangeFetcher(HttpRangeClient client, SourceOutage outage, TimeSpan stall, ISourceHealthObserver? observer)
    {
        _client = client;
        _outage = outage;
        _stall = stall;
        _observer = observer;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask FetchAsync(long offset, int length, IRangeConsumer consumer, CancellationToken cancellationToken)
    {
        var end = offset + length;
        var delay = FirstDelay;
        while (true)
        {
            if (_outage.HasFailed(out var failed))
            {
                throw failed;
            }

            // One source for the caller's cancellation and the attempt's stall deadline: cancelled while the caller's
            // token is not, the deadline passed.
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attempt.CancelAfter(_stall);
            try
            {
                using var response = await _client.GetRangeAsync(offset, (int)(end - offset), attempt.Token);
                attempt.CancelAfter(_stall);
                await using var body = new StallGuardStream(
                    await response.Content.ReadAsStreamAsync(attempt.Token), attempt, _stall);
                await consumer.ConsumeAsync(body, attempt.Token);
                if (_outage.Succeeded() is { } lasted)
                {
                    _observer?.OutageEnded(lasted);
                }

                return;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && IsTransient(e, attempt))
            {
                NoteFailure(e, stalled: attempt.IsCancellationRequested, delay);
                await Task.Delay(delay, cancellationToken);
                delay = delay * 2 > MaxDelay ? MaxDelay : delay * 2;
                offset = consumer.ResumeAt;
            }
            catch (Exception e) when (e is HttpRequestException or IOException && e is not ImageSourceException)
            {
                throw HttpErrors.FromException(e, _client.RedactedUrl);
            }
        }
    }

    public Task ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken) =>
        FetchAsync(offset, destination.Length, new DestinationFill(offset, destination), cancellationToken).AsTask();

    /// <summary>Counts a failed attempt into the source's outage and tells the observer; throws the source's failure once
    /// the outage is past its budget.</summary>
    /// <remarks>Apart from <see cref="FetchAsync"/>: there, the message's closure was allocated for every fetch, failed
    /// or not.</remarks>
    private void NoteFailure(Exception e, bool stalled, TimeSpan delay)
    {
        var reason = stalled ? $"no data for {_stall.TotalSeconds:0.#} s" : e.Message;
        var step = _outage.Failed(delay, lasted => new ImageSourceException(
            Errno.EIO, $"{_client.RedactedUrl}: unreachable for {lasted.TotalSeconds:0} s, giving up ({reason})", e));
        if (step.Began)
        {
            _observer?.OutageBegan($"{_client.RedactedUrl}: {reason}");
        }

        if (step.Failure is { } failure)
        {
            if (step.JustFailed)
            {
                _observer?.SourceFailed(failure);
            }

            throw failure;
        }
    }

    /// <summary>A failure worth retrying: a transport or server hiccup, or an attempt that stalled.</summary>
    private static bool IsTransient(Exception e, CancellationTokenSource attempt) =>
        HttpErrors.IsTransient(e) || (e is OperationCanceledException && attempt.IsCancellationRequested);

    /// <summary>Reads a body straight into a destination, counting what it has filled for a retry.</summary>
    private sealed class DestinationFill(long offset, Memory<byte> destination) : IRangeConsumer
    {
        private int _filled;

        public long ResumeAt => offset + _filled;

        public async ValueTask ConsumeAsync(Stream body, CancellationToken cancellationToken)
        {
            while (_filled < destination.Length)
            {
                var read = await body.ReadAsync(destination[_filled..], cancellationToken);
                if (read == 0)
                {
                    throw new EndOfStreamException("response body ended early");
                }

                _filled += read;
            }
        }
    }
}
