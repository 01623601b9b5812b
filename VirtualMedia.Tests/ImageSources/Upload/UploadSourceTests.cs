using Microsoft.Extensions.Logging.Abstractions;
using VirtualMedia.Nbd;
using VirtualMedia.Service.ImageSources;
using VirtualMedia.Service.ImageSources.Upload;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.ImageSources.Upload;

/// <summary>The upload's source on a scripted remote: what the host reads, the copy, its end and its failures.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class UploadSourceTests
{
    private const int Chunk = UploadSource.ChunkSize;
    private const long Size = (10 * Chunk) + 1234;
    private static readonly TimeSpan Patient = Patience.Scale(TimeSpan.FromSeconds(10));
    private TempDirectory _directory = null!;
    private FailureRecorder _observer = null!;

    [SetUp]
    public void SetUp()
    {
        _directory = new TempDirectory("vm-upload");
        _observer = new FailureRecorder();
    }

    [TearDown]
    public void TearDown() => _directory.Dispose();

    [Test]
    public async Task The_host_reads_the_image_during_and_after_the_copy_which_then_closes_the_remote()
    {
        var remote = new ScriptedRemote(Size);
        await using var source = Start(remote);

        (await ReadAsync(source, Size - 5000, 5000)).Should().Equal(Expected(Size - 5000, 5000));
        await source.Completed.WaitAsync(Patient);

        source.Progress.Should().Be(new TransferProgress(Size, Size, true));
        remote.IsDisposed.Should().BeTrue("a complete copy needs the server no more");
        (await ReadAsync(source, 0, (int)Size)).Should().Equal(Expected(0, (int)Size), "every byte now comes from the copy");
        var copy = Directory.GetFiles(_directory.Path).Should().ContainSingle().Which;
        Path.GetFileName(copy).Should().StartWith(".upload-Slot_2-").And.EndWith(".img");
        File.GetUnixFileMode(copy).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        _observer.Failure.Should().BeNull();
    }

    [Test]
    public async Task A_miss_is_read_from_the_server_and_its_chunk_copied_while_the_background_copy_is_elsewhere()
    {
        var remote = new ScriptedRemote(Size);
        remote.Hold(0);
        remote.Hold(Chunk);
        await using var source = Start(remote);

        (await ReadAsync(source, (7 * Chunk) + 10, 100)).Should().Equal(Expected((7 * Chunk) + 10, 100));

        await Wait.UntilAsync(() => source.Progress.BytesCopied == Chunk, Patient, "the chunk the host missed to be copied");
        source.Progress.Complete.Should().BeFalse("the copy itself waits at chunks 0 and 1");
        (await ReadAsync(source, (7 * Chunk) + 10, 100)).Should().Equal(Expected((7 * Chunk) + 10, 100));
        remote.Reads.Should().HaveCount(3 + 1, "the two held chunks, the host's read, the chunk's copy: the second read came from the copy");
        remote.Release(0);
        remote.Release(Chunk);
        await source.Completed.WaitAsync(Patient);
        remote.Reads.Count(o => o == 7 * Chunk).Should().Be(1, "a copied chunk is never fetched again");
    }

    [Test]
    public async Task A_failed_fetch_fails_the_source_for_good_and_tells_the_observer()
    {
        var remote = new ScriptedRemote(Size) { FailFrom = 3 * Chunk };
        await using var source = Start(remote);

        var failure = await _observer.Failed.WaitAsync(Patient);

        failure.Errno.Should().Be(Errno.EIO);
        failure.Message.Should().Contain("changed");
        var miss = async () => await ReadAsync(source, 8 * Chunk, 10);
        (await miss.Should().ThrowAsync<ImageSourceException>()).Which.Should().BeSameAs(failure, "no later read mixes in another image");
        (await ReadAsync(source, 0, 10)).Should().Equal(Expected(0, 10), "what was copied before stays readable until the slot ejects");
        source.Progress.Complete.Should().BeFalse();
    }

    [Test]
    public async Task Disposing_mid_copy_stops_it_and_deletes_the_copy()
    {
        var remote = new ScriptedRemote(Size);
        remote.Hold(2 * Chunk);
        var source = Start(remote);
        await Wait.UntilAsync(() => Task.FromResult(remote.Reads.Contains(2 * Chunk)), Patient, "the copy to reach chunk 2");

        await source.DisposeAsync();

        Directory.GetFiles(_directory.Path).Should().BeEmpty();
        remote.IsDisposed.Should().BeTrue();
        _observer.Failure.Should().BeNull("an unmount is no failure");
    }

    [Test]
    public void No_room_beside_the_reserve_is_ENOSPC_and_leaves_no_file()
    {
        var free = new DriveInfo(_directory.Path).AvailableFreeSpace;
        var storage = new UploadStorage(_directory.Path, ReserveBytes: free - (Size / 2));

        var act = () => storage.Start(new ScriptedRemote(Size), _observer, Log());

        act.Should().Throw<ImageSourceException>().Which.Errno.Should().Be(Errno.ENOSPC);
        Directory.GetFiles(_directory.Path).Should().BeEmpty();
    }

    [Test]
    public void Start_up_removes_the_copies_and_nothing_else()
    {
        File.WriteAllText(_directory.Combine(".upload-Slot_2-0123456789abcdef.img"), "partial");
        File.WriteAllText(_directory.Combine("installer.iso"), "an operator's image");

        UploadFile.RemoveStale(_directory.Path).Should().ContainSingle().Which.Should().EndWith(".upload-Slot_2-0123456789abcdef.img");

        Directory.GetFiles(_directory.Path).Select(Path.GetFileName).Should().Equal("installer.iso");
        UploadFile.RemoveStale(_directory.Combine("missing")).Should().BeEmpty();
    }

    private static UploadLog Log() => new(NullLogger.Instance, "Slot_2", "https://server/image.iso");

    private static byte[] Expected(long offset, int length) =>
        [.. Enumerable.Range(0, length).Select(i => ScriptedRemote.ByteAt(offset + i))];

    private static async Task<byte[]> ReadAsync(UploadSource source, long offset, int length)
    {
        var buffer = new byte[length];
        await source.ReadAsync(offset, buffer, CancellationToken.None).AsTask().WaitAsync(Patient);
        return buffer;
    }

    private UploadSource Start(ScriptedRemote remote) =>
        new UploadStorage(_directory.Path, ReserveBytes: 0).Start(remote, _observer, Log());

    private sealed class FailureRecorder : ISourceHealthObserver
    {
        private readonly TaskCompletionSource<ImageSourceException> _failed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<ImageSourceException> Failed => _failed.Task;

        public ImageSourceException? Failure { get; private set; }

        public void OutageBegan(string reason)
        {
        }

        public void OutageEnded(TimeSpan lasted)
        {
        }

        public void SourceFailed(ImageSourceException failure)
        {
            Failure ??= failure;
            _failed.TrySetResult(failure);
        }
    }
}
