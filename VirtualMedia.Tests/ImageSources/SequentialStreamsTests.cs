using VirtualMedia.Service.ImageSources.Http;

namespace VirtualMedia.Tests.ImageSources;

/// <summary>How many sequential readers share the cache: the read-ahead cache splits its memory between them.</summary>
[TestFixture]
public sealed class SequentialStreamsTests
{
    private const int MiB = 1024 * 1024;

    [Test]
    public void OneReaderIsOneStream()
    {
        var streams = new SequentialStreams(slack: 8 * MiB);
        for (var i = 0; i < 10; i++)
        {
            streams.Note(i * (long)MiB, MiB, out _);
        }

        streams.Active().Should().Be(1);
    }

    [Test]
    public void InterleavedReadersOfFourRegionsAreFourStreams()
    {
        var streams = new SequentialStreams(slack: 8 * MiB);
        for (var i = 0; i < 10; i++)
        {
            for (var region = 0; region < 4; region++)
            {
                streams.Note((region * 128L * MiB) + (i * 256 * 1024), 256 * 1024, out _);
            }
        }

        streams.Active().Should().Be(4);
    }

    [Test]
    public void AStreamThatStoppedReadingNoLongerCounts()
    {
        var streams = new SequentialStreams(slack: 8 * MiB);
        for (var i = 0; i < 10; i++)
        {
            streams.Note(512L * MiB + (i * MiB), MiB, out _);
        }

        for (var i = 0; i < 100; i++)
        {
            streams.Note(i * (long)MiB, MiB, out _);
        }

        streams.Active().Should().Be(1, "the reader at 512 MiB has not read for 100 reads");
    }

    [TestCase(4096)]
    [TestCase(MiB)]
    public void RandomReadsOfASmallImageAreNoStreamWithTheServicesSlack(int length)
    {
        // 8 streams of ±8 MiB cover a 64 MiB rescue image twice over: nearly every random read continues some stream.
        var streams = new SequentialStreams(slack: 8 * MiB);
        var random = new Random(7);
        var sequential = 0;
        for (var i = 0; i < 400; i++)
        {
            sequential += streams.Note(random.NextInt64(0, (64L * MiB) - length) & ~4095L, length, out _) ? 1 : 0;
        }

        // Large random reads sometimes follow each other closely enough to look sequential; before, 296 of 400 4 KiB reads did.
        sequential.Should().BeLessThanOrEqualTo(4, "a random reader read ahead of evicts what it and others cached");
    }

    [TestCase(false)]
    [TestCase(true)]
    public void PipelinedReadsArrivingOutOfOrderAreAStream(bool reversed)
    {
        // A client with 16 reads of 128 KiB in flight whose replies and next requests interleave: each batch in any
        // order, or last first (the worst: one jump over the whole batch, then only reads behind the frontier).
        var streams = new SequentialStreams(slack: 8 * MiB);
        var random = new Random(7);
        var notSequential = new List<int>();
        var frontier = 0;
        for (var batch = 0; batch < 32; batch++)
        {
            var reads = Enumerable.Range(batch * 16, 16);
            foreach (var read in reversed ? reads.Reverse() : reads.OrderBy(_ => random.Next()))
            {
                // Only reads that move the frontier start read-ahead; the late ones behind it find their pages fetched.
                if (!streams.Note(read * 128L * 1024, 128 * 1024, out _) && read >= frontier)
                {
                    notSequential.Add(read);
                }

                frontier = Math.Max(frontier, read + 1);
            }
        }

        notSequential.Should().OnlyContain(read => read < 48, "every read moving the frontier after the first batches is sequential");
        streams.Active().Should().Be(1);
    }

    [Test]
    public void AReaderThatTurnsRandomIsNoLongerSequential()
    {
        var streams = new SequentialStreams(slack: 8 * MiB);
        for (var i = 0; i < 256; i++)
        {
            streams.Note(i * (long)MiB, MiB, out _);
        }

        // Then 4 KiB reads jumping 1-8 MiB forward: all within the slack, so each one continues its stream.
        var random = new Random(7);
        var frontier = 256L * MiB;
        var reads = 0;
        while (reads < 64 && streams.Note(frontier + (random.NextInt64(MiB, 8L * MiB) & ~4095L), 4096, out frontier))
        {
            reads++;
        }

        reads.Should().BeLessThan(16, "what it jumps over soon outweighs what it read recently");
    }

    [Test]
    public void RandomReadsAreNoStream()
    {
        var streams = new SequentialStreams(slack: 64 * 1024);
        var random = new Random(7);
        for (var i = 0; i < 50; i++)
        {
            streams.Note(random.NextInt64(0, 1L << 30) & ~4095L, 4096, out _);
        }

        streams.Active().Should().Be(1, "at least one share of the cache, as a reader may become sequential");
    }
}
