using System.Diagnostics;
using VirtualMedia.Fuzz;
using VirtualMedia.Fuzz.Harness;

namespace VirtualMedia.Tests.Fuzz;

/// <summary>A short deterministic mutation loop per fuzz target: afl's kind of search, without afl, in a fixed time budget
/// (seven targets × <see cref="Budget"/> ≈ 30 s of CI).</summary>
[TestFixture]
public sealed class FuzzMutationTests
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(4);

    public static IEnumerable<string> TargetNames() => FuzzTargets.All.Select(t => t.Name);

    [TestCaseSource(nameof(TargetNames))]
    public async Task MutatedInputsRunCleanly(string name)
    {
        var target = FuzzTargets.Get(name);
        var seeds = Corpus.Seeds(FuzzInputs.Directory, name).Concat(Corpus.Regressions(FuzzInputs.Directory, name))
            .Select(File.ReadAllBytes).ToList();
        var mutator = new Mutator(seeds, seed: name.Aggregate(17, (hash, c) => (hash * 31) + c));
        var clock = Stopwatch.StartNew();
        var runs = 0;
        while (clock.Elapsed < Budget)
        {
            await FuzzInputs.RunAsync(target, mutator.Next());
            runs++;
        }

        TestContext.Out.WriteLine($"{name}: {runs} mutated inputs in {clock.Elapsed.TotalSeconds:0.0} s");
        runs.Should().BeGreaterThan(20, "the loop must actually exercise the target");
    }
}
