using Microsoft.Extensions.Logging;
using VirtualMedia.Gadget.BlockDevice;
using VirtualMedia.Gadget.Kernel;
using VirtualMedia.Nbd;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.Gadget;

/// <summary>
/// The real launcher and NbdBlockDevice against a scripted stand-in for the nbd-client program (this
/// machine has no /dev/nbdX; the kernel VM tier runs the real one): arguments, output, readiness,
/// exit code, disconnect with <c>-d</c>, and the kill after the grace period.
/// </summary>
[TestFixture]
public sealed class NbdClientProcessTests
{
    private const string Script = """
        #!/bin/sh
        # Stand-in for nbd-client: "-d dev" disconnects the running instance, otherwise attach.
        root="$(dirname "$0")"
        if [ "$1" = "-d" ]; then
          echo "$*" > "$root/disconnect-args"
          [ -f "$root/ignore-disconnect" ] || kill -TERM "$(cat "$root/client.pid")"
          exit 0
        fi
        echo $$ > "$root/client.pid"
        echo "$*" > "$root/args"
        echo "Negotiation: ..size = 1MB"
        echo "bs=512, sz=1048576 bytes" >&2
        trap 'echo 0 > "$root/sys/block/nbd0/size"; exit 0' TERM
        echo 2048 > "$root/sys/block/nbd0/size"
        while :; do sleep 0.05; done
        """;

    private TempDirectory _root = null!;
    private KernelSide _kernel = null!;
    private ListLogger _log = null!;

    [SetUp]
    public void CreateRoot()
    {
        _root = new TempDirectory("nbd-client");
        var program = _root.Combine("nbd-client");
        File.WriteAllText(program, Script.Replace("\r", "", StringComparison.Ordinal) + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(program, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        Directory.CreateDirectory(_root.Combine("sys/block/nbd0"));
        File.WriteAllText(_root.Combine("sys/block/nbd0/size"), "0\n");
        File.WriteAllText(_root.Combine("sys/block/nbd0/stat"), "5 0 40 0 1 0 8 0 0 0 0 0 0 0 0 0 0\n");
        _kernel = KernelSide.Real(new KernelPaths(_root.Path, program));
        _log = new ListLogger();
    }

    [TearDown]
    public void RemoveRoot() => _root.Dispose();

    [Test]
    public async Task Attach_RunsTheContractCommandLine_LogsOutput_AndWaitsForTheSize()
    {
        await using var device = new NbdBlockDevice(_kernel, "Slot_0", "nbd0", _log);

        await device.AttachAsync("/run/virtual-media/nbd0.sock", 10, 512, readOnly: true, CancellationToken.None);

        device.SizeBytes.Should().Be(1 << 20);
        File.ReadAllText(_root.Combine("args")).Trim()
            .Should().Be($"-u /run/virtual-media/nbd0.sock {_root.Path}/dev/nbd0 -t 10 -b 512 -n -L -R");
        _log.Lines.Should().Contain(line => line.Contains("Slot_0: nbd-client: Negotiation: ..size = 1MB", StringComparison.Ordinal));
        _log.Lines.Should().Contain(line => line.Contains("Slot_0: nbd-client: bs=512", StringComparison.Ordinal));
    }

    [Test]
    public async Task Statistics_CountFromTheAttachment()
    {
        await using var device = new NbdBlockDevice(_kernel, "Slot_0", "nbd0", _log);
        await device.AttachAsync("/s.sock", 10, 512, false, CancellationToken.None);

        File.WriteAllText(_root.Combine("sys/block/nbd0/stat"), "9 0 72 0 4 0 32 0 0 0 0 0 0 0 0 0 0\n");

        device.ReadStatistics().Should().Be(new BlockDeviceStatistics(4, 3));
    }

    [Test]
    public async Task Detach_RunsDashD_AndKeepsTheExitCode()
    {
        var device = new NbdBlockDevice(_kernel, "Slot_0", "nbd0", _log);
        await device.AttachAsync("/s.sock", 10, 512, false, CancellationToken.None);

        await device.DetachAsync(CancellationToken.None);

        File.ReadAllText(_root.Combine("disconnect-args")).Trim().Should().Be($"-d {_root.Path}/dev/nbd0");
        device.ExitCode.Should().Be(0);
        device.SizeBytes.Should().Be(0);
    }

    [Test]
    public async Task AClientThatIgnoresTheDisconnect_IsKilledAfterTheGrace()
    {
        var device = new NbdBlockDevice(_kernel, "Slot_0", "nbd0", _log);
        await device.AttachAsync("/s.sock", 10, 512, false, CancellationToken.None);
        File.WriteAllText(_root.Combine("ignore-disconnect"), "");
        var clock = System.Diagnostics.Stopwatch.StartNew();

        await device.DetachAsync(CancellationToken.None, TimeSpan.FromMilliseconds(500));

        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(4));
        device.ExitCode.Should().Be(137, "SIGKILL");
    }

    [Test]
    public async Task AClientThatEndsBeforeTheSize_IsEio_WithItsExitCode()
    {
        File.WriteAllText(_kernel.Paths.NbdClient, "#!/bin/sh\necho 'Error: Socket failed: Connection refused' >&2\nexit 1\n");
        var device = new NbdBlockDevice(_kernel, "Slot_0", "nbd0", _log);

        var attach = () => device.AttachAsync("/s.sock", 10, 512, false, CancellationToken.None);

        (await attach.Should().ThrowAsync<KernelException>()).Which.Errno.Should().Be(Errno.EIO);
        device.ExitCode.Should().Be(1);
        _log.Lines.Should().Contain(line => line.Contains("Connection refused", StringComparison.Ordinal));
    }

    [Test]
    public async Task NoSizeWithinTheTimeout_IsEtimedout_AndTheClientIsStopped()
    {
        File.WriteAllText(_kernel.Paths.NbdClient, "#!/bin/sh\n[ \"$1\" = -d ] && exit 0\nexec sleep 30\n");
        var device = new NbdBlockDevice(_kernel, "Slot_0", "nbd0", _log);

        var attach = () => device.AttachAsync("/s.sock", 1, 512, false, CancellationToken.None);

        (await attach.Should().ThrowAsync<KernelException>()).Which.Errno.Should().Be(Errno.ETIMEDOUT);
        device.ExitCode.Should().NotBeNull("the client was stopped");
    }

    private sealed class ListLogger : ILogger
    {
        private readonly List<string> _lines = [];

        public IReadOnlyList<string> Lines
        {
            get
            {
                lock (_lines)
                {
                    return [.. _lines];
                }
            }
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_lines)
            {
                _lines.Add(formatter(state, exception));
            }
        }
    }
}
