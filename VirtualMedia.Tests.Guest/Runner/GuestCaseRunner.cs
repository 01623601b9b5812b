using System.Diagnostics;

namespace VirtualMedia.Tests.Guest.Runner;

/// <summary>Runs cases one after another in this one process and leaves one result file per case.</summary>
public static class GuestCaseRunner
{
    /// <summary>Per-case limit: a hung kernel wait fails the case instead of the whole VM.</summary>
    private static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(120);

    /// <summary>Runs <paramref name="cases"/>; returns 0 when all passed.</summary>
    public static async Task<int> RunAsync(IReadOnlyList<GuestCase> cases, string resultsDirectory)
    {
        Directory.CreateDirectory(resultsDirectory);
        Console.WriteLine($"VM-TIME guest-main {File.ReadAllText("/proc/uptime").Split(' ')[0]}");
        var failed = 0;
        foreach (var guestCase in cases)
        {
            var log = new CaseLog();
            var clock = Stopwatch.StartNew();
            bool passed;
            using var timeout = new CancellationTokenSource(CaseTimeout);
            try
            {
                await guestCase.Run(log, timeout.Token);
                passed = true;
            }
            catch (Exception e)
            {
                log.Write($"FAILED: {e}");
                passed = false;
                failed++;
            }

            log.Write($"took {clock.Elapsed.TotalSeconds:0.00} s");
            var file = Path.Combine(resultsDirectory, guestCase.Name + (passed ? ".pass" : ".fail"));
            await File.WriteAllTextAsync(file, log.Text, CancellationToken.None);
            Console.WriteLine($"VM-CASE {guestCase.Name} {(passed ? "passed" : "FAILED")} in {clock.Elapsed.TotalSeconds:0.00} s");
        }

        return failed == 0 ? 0 : 1;
    }
}
