using System.Diagnostics;
using VirtualMedia.Nbd;

namespace VirtualMedia.Service.ImageSources.Http;

/// <summary>Ranged GETs with retries: transient failures are retried with backoff until a time budget is spent, then EIO.</summary>
internal sealed class HttpRangeFetcher : IRangeFetcher
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(1);

    private readonly HttpRangeClient _client;
    private readonly TimeSpan _budget;

    public HttpRangeFetcher(HttpRangeClient client, TimeSpan budget)
    {
        _client = client;
        _budget = budget;
    }

    public async Task FetchAsync(
        long offset,
        int length,
        Func<Stream, CancellationToken, Task> consume,
        Func<long> resumeAt,
        CancellationToken cancellationToken)
    {
        var end = offset + length;
        var started = Stopwatch.GetTimestamp();
        var delay = FirstDelay;
        while (true)
        {
            try
            {
                using var response = await _client.GetRangeAsync(offset, (int)(end - offset), cancellationToken);
                await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
                await consume(body, cancellationToken);
                return;
            }
            catch (Exception e) when (HttpErrors.IsTransient(e) && !cancellationToken.IsCancellationRequested)
            {
                if (Stopwatch.GetElapsedTime(started) + delay > _budget)
                {
                    throw new ImageSourceException(
                        Errno.EIO, $"{_client.RedactedUrl}: still failing after {_budget.TotalSeconds:0.#} s ({e.Message})", e);
                }

                await Task.Delay(delay, cancellationToken);
                delay = delay * 2 > MaxDelay ? MaxDelay : delay * 2;
                offset = resumeAt();
            }
            catch (Exception e) when (e is HttpRequestException or IOException && e is not ImageSourceException)
            {
                throw HttpErrors.FromException(e, _client.RedactedUrl);
            }
        }
    }

    public Task ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        var filled = 0;
        return FetchAsync(
            offset,
            destination.Length,
            async (body, token) =>
            {
                while (filled < destination.Length)
                {
                    var read = await body.ReadAsync(destination[filled..], token);
                    if (read == 0)
                    {
                        throw new EndOfStreamException("response body ended early");
                    }

                    filled += read;
                }
            },
            () => offset + filled,
            cancellationToken);
    }
}
