using VirtualMedia.Service.ImageSources.Upload;

namespace VirtualMedia.Tests.ImageSources.Upload;

/// <summary>The bitmap of copied chunks: geometry, counts, and marking each chunk once.</summary>
public sealed class ChunkMapTests
{
    [Test]
    public void The_last_chunk_is_short_and_bytes_count_what_was_marked()
    {
        var map = new ChunkMap(size: 1000, chunkSize: 300);

        map.Count.Should().Be(4);
        map.LengthOf(3).Should().Be(100);
        map.ChunkOf(899).Should().Be(2);
        map.Mark(3).Should().BeTrue();
        map.Mark(3).Should().BeFalse("a chunk counts once");
        map.CopiedBytes.Should().Be(100);
        map.Has(3).Should().BeTrue();
        map.Has(2).Should().BeFalse();
        map.IsComplete.Should().BeFalse();
        foreach (var chunk in new[] { 0L, 1, 2 })
        {
            map.Mark(chunk);
        }

        map.IsComplete.Should().BeTrue();
        map.CopiedBytes.Should().Be(1000);
    }

    [Test]
    public void Chunks_past_64_use_further_words_and_concurrent_marks_each_count_once()
    {
        var map = new ChunkMap(size: 1000L * 4096, chunkSize: 4096);

        Parallel.For(0, 4000, i => map.Mark(i % 1000));

        map.IsComplete.Should().BeTrue();
        map.CopiedBytes.Should().Be(1000L * 4096);
    }
}
