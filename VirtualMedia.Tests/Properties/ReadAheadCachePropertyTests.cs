using CsCheck;
using VirtualMedia.Nbd;
using VirtualMedia.Service.ImageSources.Http;
using VirtualMedia.Tests.ImageSources;

namespace VirtualMedia.Tests.Properties;

/// <summary>Whatever several readers do at once through one read-ahead cache (sequential runs, random reads, lent
/// pages held across other reads, reads given up), against a server a round trip away whose connections may break
/// mid-body and whose fetches may fail for good: every read gets the image's bytes or fails with the source's error
/// (only where a fetch can fail, or a read is given up), lent bytes stay the image's until given back, nothing hangs,
/// and the cache is disposed of with every fetch ended.</summary>
/// <remarks>The hand-written cache tests each pin one interleaving; this one draws them. It fails within its 150
/// scenarios with either of two faults put back: a successor stopped before its GET was answered woken through a null
/// <c>Moved</c> (the NullReferenceException found by reading the code in 0886a7c), or a broken fill resumed from its
/// fetch's start instead of its first page not filled.</remarks>
[TestFixture]
public sealed class ReadAheadCachePropertyTests
{
    private const int PageSize = CacheGeometry.DefaultPageSize;

    /// <summary>Longest a scenario may take: a few hundred reads of a few MiB in memory take milliseconds, so this is a
    /// hang, not a slow machine.</summary>
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);

    private static readonly Gen<Op> Ops = Gen.Select(
        Gen.Enum<OpKind>(), Gen.Double[0, 1], Gen.Int[1, 3 * PageSize], Gen.Int[1, 16], Gen.Int[0, 4],
        (kind, where, length, count, hold) => new Op(kind, where, length, count, hold));

    /// <summary>Image pages and tail bytes; cache, fetch and read-ahead pages; parallel streams.</summary>
    private static readonly Gen<(int, int, int, int, int, int)> Shapes = Gen.Select(
        Gen.Int[1, 40], Gen.Int[0, PageSize - 1], Gen.Int[4, 16], Gen.Int[1, 4], Gen.Int[1, 8], Gen.Int[1, 3]);

    private static readonly Gen<Scenario> Scenarios = Gen.Select(
        Shapes, Gen.Int[1, 8], Gen.Int[10, 60], Gen.Int[0, 3], Gen.Int[0, 3], Gen.Int[0, 3], Ops.Array[1, 24].Array[1, 4],
        (shape, streamPages, pauseMs, delayMs, breakOneIn, failOneIn, readers) => new Scenario(
            shape.Item1, shape.Item2, shape.Item3, shape.Item4, shape.Item5, shape.Item6,
            streamPages, pauseMs, delayMs, breakOneIn, failOneIn, readers));

    [Test]
    public Task ConcurrentReadersGetTheImagesBytesAndNothingHangs() =>
        Scenarios.SampleAsync(RunAsync, iter: 150, print: scenario => scenario.ToString());

    private static async Task RunAsync(Scenario scenario)
    {
        var image = new byte[(scenario.ImagePages * PageSize) + scenario.TailBytes];
        new Random(image.Length).NextBytes(image);
        var fetcher = new FakeMemoryRangeFetcher(
            image,
            answerDelay: offset => TimeSpan.FromMilliseconds(Spread(offset, scenario.MaxDelayMs + 1)),
            // One GET in (BreakOneIn + 1) loses its connection somewhere in its body; none when BreakOneIn is 0.
            breakAfter: offset => scenario.BreakOneIn > 0 && Spread(offset, scenario.BreakOneIn + 1) == 0
                ? Spread(offset / 3, 2 * PageSize)
                : null,
            // One fetch in 4 * FailOneIn fails for good; none when FailOneIn is 0.
            fails: offset => scenario.FailOneIn > 0 && Spread(offset ^ 0x5A5A5A, 4 * scenario.FailOneIn) == 0);
        var geometry = new CacheGeometry(
            PageSize,
            scenario.CachePages * PageSize,
            scenario.FetchPages * PageSize,
            scenario.ReadAheadPages * PageSize,
            scenario.Parallel,
            scenario.StreamPages * PageSize,
            TimeSpan.FromMilliseconds(scenario.ReaderPauseMs));
        var cache = new ReadAheadCache(fetcher, image.Length, geometry);
        try
        {
            await Task.WhenAll(scenario.Readers.Select(ops => ReaderAsync(cache, image, ops, scenario.FailOneIn > 0))).WaitAsync(Hang);
        }
        finally
        {
            await cache.DisposeAsync().AsTask().WaitAsync(Hang);
        }
    }

    /// <summary>One reader's operations in order, as an NBD connection's would come, holding its leases as a client
    /// slow to read its replies does.</summary>
    private static async Task ReaderAsync(ReadAheadCache cache, byte[] image, Op[] ops, bool fetchesFail)
    {
        // Off the caller's thread: the readers run at once.
        await Task.Yield();
        var held = new List<(CacheLease Lease, long Offset, int Length, int Until)>();
        try
        {
            for (var i = 0; i < ops.Length; i++)
            {
                var op = ops[i];
                try
                {
                    if (await OpAsync(cache, image, op) is { } lease)
                    {
                        held.Add((lease.Lease, lease.Offset, lease.Length, i + op.Hold));
                    }
                }
                catch (ImageSourceException) when (fetchesFail)
                {
                }

                foreach (var done in held.Where(h => h.Until <= i).ToList())
                {
                    GiveBack(done, image);
                    held.Remove(done);
                }
            }
        }
        finally
        {
            foreach (var left in held)
            {
                GiveBack(left, image);
            }
        }
    }

    /// <summary>Does <paramref name="op"/>, checking every byte it reads; returns a lease to hold.</summary>
    private static async Task<(CacheLease Lease, long Offset, int Length)?> OpAsync(ReadAheadCache cache, byte[] image, Op op)
    {
        var offset = (long)(op.Where * (image.Length - 1));
        var length = (int)Math.Min(op.Length, image.Length - offset);
        switch (op.Kind)
        {
            case OpKind.Read:
                await ReadAsync(cache, image, offset, length, CancellationToken.None);
                break;
            case OpKind.Sequential:
                for (var n = 0; n < op.Count && offset < image.Length; n++, offset += length)
                {
                    await ReadAsync(cache, image, offset, (int)Math.Min(length, image.Length - offset), CancellationToken.None);
                }

                break;
            case OpKind.Lend:
                if (await cache.LendAsync(offset, length, CancellationToken.None) is { } lease)
                {
                    Same(Joined(lease), image, offset, length, "lent");
                    return (lease, offset, length);
                }

                break;
            case OpKind.GivenUp:
                using (var giveUp = new CancellationTokenSource(TimeSpan.FromMilliseconds(op.Hold)))
                {
                    try
                    {
                        await ReadAsync(cache, image, offset, length, giveUp.Token);
                    }
                    catch (OperationCanceledException) when (giveUp.IsCancellationRequested)
                    {
                    }
                }

                break;
        }

        return null;
    }

    private static async Task ReadAsync(
        ReadAheadCache cache, byte[] image, long offset, int length, CancellationToken cancellationToken)
    {
        var buffer = new byte[length];
        await cache.ReadAsync(offset, buffer, cancellationToken);
        Same(buffer, image, offset, length, "read");
    }

    private static void GiveBack((CacheLease Lease, long Offset, int Length, int Until) held, byte[] image)
    {
        Same(Joined(held.Lease), image, held.Offset, held.Length, "lent, when given back,");
        held.Lease.Dispose();
    }

    private static void Same(byte[] got, byte[] image, long offset, int length, string what)
    {
        if (!got.AsSpan().SequenceEqual(image.AsSpan((int)offset, length)))
        {
            throw new InvalidOperationException($"bytes {what} at {offset} (+{length}) are not the image's");
        }
    }

    private static byte[] Joined(CacheLease lease) => [.. lease.Segments.SelectMany(segment => segment.ToArray())];

    /// <summary>A value in [0, <paramref name="range"/>) spread over offsets, the same for the same offset.</summary>
    /// <remarks>From the product's high bits: offsets are mostly multiples of the page size, so the low ones are 0.</remarks>
    private static int Spread(long offset, int range) =>
        (int)(unchecked((ulong)offset * 0x9E3779B97F4A7C15UL) >> 33) % range;

    private enum OpKind
    {
        Read,
        Sequential,
        Lend,
        GivenUp,
    }

    /// <summary>A reader's operation at a fraction <paramref name="Where"/> of the image: <paramref name="Count"/> reads
    /// for a sequential run; <paramref name="Hold"/> operations a lease is held for, or milliseconds before a read is
    /// given up.</summary>
    private sealed record Op(OpKind Kind, double Where, int Length, int Count, int Hold)
    {
        public override string ToString() => $"{Kind}@{Where:0.###}+{Length}x{Count}/{Hold}";
    }

    /// <summary>An image of whole pages and a tail, a cache geometry (in pages), a link (answer delay, one GET in
    /// <paramref name="BreakOneIn"/> + 1 broken, one fetch in 4 × <paramref name="FailOneIn"/> failed) and the readers'
    /// operations.</summary>
    private sealed record Scenario(
        int ImagePages, int TailBytes, int CachePages, int FetchPages, int ReadAheadPages, int Parallel,
        int StreamPages, int ReaderPauseMs, int MaxDelayMs, int BreakOneIn, int FailOneIn, Op[][] Readers)
    {
        public override string ToString() =>
            $"image {ImagePages} pages + {TailBytes} B, cache {CachePages}, fetch {FetchPages}, ahead {ReadAheadPages}, "
            + $"parallel {Parallel}, stream {StreamPages}, pause {ReaderPauseMs} ms, delay <= {MaxDelayMs} ms, "
            + (BreakOneIn == 0 ? "no GET breaks" : $"1 GET in {BreakOneIn + 1} breaks") + ", "
            + (FailOneIn == 0 ? "no fetch fails" : $"1 fetch in {4 * FailOneIn} fails") + "; readers: "
            + string.Join(" | ", Readers.Select(ops => string.Join(' ', ops.Select(op => op.ToString()))));
    }
}
