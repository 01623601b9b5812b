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
