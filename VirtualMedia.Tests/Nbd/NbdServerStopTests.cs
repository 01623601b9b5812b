using VirtualMedia.Nbd;
using VirtualMedia.Nbd.Sources;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.Nbd;

/// <summary>A server being stopped while its client's connection breaks: the stop must not fail.</summary>
[TestFixture]
public sealed class NbdServerStopTests
{
    [Test]
    public async Task ConnectionResetWhileStoppingIsReportedNotThrown()
    {
        using var directory = new TempDirectory("vm-nbd");
        var imagePath = directory.Combine("image.img");
        await File.WriteAllBytesAsync(imagePath, new byte[4096]);
        await using var source = FileImageSource.Open(imagePath, writable: false);
        var failures = new List<Exception>();
        var server = new NbdServer(new NbdExport(source), new NbdServerOptions { ConnectionFailed = failures.Add });
        using var stop = new CancellationTokenSource();
        await using var stream = new ResetOnCancelStream();

        var serving = server.ServeAsync(stream, stop.Token);
        await stop.CancelAsync();

        await serving.Invoking(async s => await s).Should().NotThrowAsync();
        failures.Should().ContainSingle().Which.Should().BeOfType<IOException>();
    }

    /// <summary>A peer that says nothing until the reader gives up, then resets: the race a stopping listener meets.</summary>
    private sealed class ResetOnCancelStream : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
            throw new IOException("Connection reset by peer");
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.CompletedTask;

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
        }
    }
}
