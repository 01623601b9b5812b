using System.Collections.Concurrent;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.Readme;

/// <summary>The README's run command as a newcomer uses it: scripts/run-sandbox starts everything, the examples it
/// prints work when pasted into a shell, and Ctrl+C stops everything it started.</summary>
[TestFixture]
[NonParallelizable]
public sealed class RunSandboxTests
{
    private static readonly TimeSpan StartLimit = TimeSpan.FromMinutes(4);

    [Test]
    public async Task PrintedExamplesMountAndReadTheImageAndCtrlCStopsEverything()
    {
        foreach (var tool in new[] { "setsid", "busctl", "nbdcopy", "nginx", "dbus-daemon" })
        {
            Require.Tool(tool);
        }

        using var directory = new TempDirectory("vm-readme");
        var sandbox = directory.Combine("sandbox");
        var output = new ConcurrentQueue<string>();
        // Its own session and process group, as a terminal gives it: Ctrl+C is SIGINT to that whole group.
        using var script = ExternalProcess.Start("setsid", [Repository.Combine("scripts/run-sandbox"), sandbox]);
        var pump = ExternalProcess.CollectLinesAsync(script, output);
        try
        {
            string Started() => $"run-sandbox to start:\n{string.Join('\n', output)}";
            await Wait.UntilAsync(
                () => Task.FromResult(output.Any(l => l.Contains("Press Ctrl+C", StringComparison.Ordinal))), StartLimit, Started, () => script.HasExited);
            var examples = output.ToArray();

            (await PasteAsync(Example(examples, "Legacy Mount sbv"))).Should().Be("b true");
            await Wait.UntilAsync(
                async () => await PasteAsync(Example(examples, "Process Active")) == "b true", TimeSpan.FromSeconds(30), "Slot_2 to be active");
            var sums = (await PasteAsync(Example(examples, "nbd2.sock"))).Split('\n');
            sums.Should().HaveCount(2);
            sums[0].Split(' ')[0].Should().Be(sums[1].Split(' ')[0], "the host reads exactly the image");
            (await PasteAsync(Example(examples, "Legacy Unmount"))).Should().Be("b true");

            // Proxy mode, pasted as one script: a person pasting line by line is slow enough not to need the waits.
            var socket = Path.Combine(sandbox, "root/run/virtual-media/nbd0.sock");
            var active = Example(examples, "Process Active").Replace("Legacy/Slot_2", "Proxy/Slot_0", StringComparison.Ordinal);
            var proxy = await PasteAsync(string.Join('\n',
                Example(examples, " serve "),
                $"for _ in $(seq 300); do [ -S {socket} ] && break; sleep 0.1; done",
                Example(examples, "Proxy Mount"),
                $"for _ in $(seq 300); do [ \"$({active})\" = 'b true' ] && break; sleep 0.1; done",
                Example(examples, "nbd0.sock\" -"),
                Example(examples, "Proxy Unmount")));
            // serve's own log lines go to the same output.
            proxy.Split('\n').Where(l => l == "b true" || l.EndsWith("  -", StringComparison.Ordinal))
                .Should().Equal("b true", sums[0].Split(' ')[0] + "  -", "b true");
        }
        finally
        {
            await ExternalProcess.RunAsync("kill", ["-INT", "--", $"-{script.Id}"]);
        }

        using (var stopped = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            await script.WaitForExitAsync(stopped.Token);
        }

        await pump;
        var left = await ExternalProcess.RunAsync("pgrep", ["-af", sandbox]);
        left.StandardOutput.Trim().Should().BeEmpty("Ctrl+C stops nginx, the bus and the service");
    }

    private static string Example(IEnumerable<string> lines, string containing) =>
        lines.Single(l => l.Contains(containing, StringComparison.Ordinal) && !l.StartsWith('#'));

    private static async Task<string> PasteAsync(string line)
    {
        var result = await ExternalProcess.RunAsync("bash", ["-c", line], TimeSpan.FromMinutes(2));
        return result.EnsureSuccess(line).StandardOutput.Trim();
    }
}
