using VirtualMedia.Fuzz;
using VirtualMedia.Fuzz.Harness;

namespace VirtualMedia.Tests.Fuzz;

/// <summary>Every committed fuzz input — the seed corpora and each crash or hang afl found — through the same entry
/// points afl-fuzz runs (fuzz/run), on every CI run.</summary>
[TestFixture]
public sealed class FuzzReplayTests
{
    public static IEnumerable<TestCaseData> SeedFiles() => FuzzInputs.Files(Corpus.Seeds);

    public static IEnumerable<TestCaseData> RegressionFiles() => FuzzInputs.Files(Corpus.Regressions);

    public static IEnumerable<string> TargetNames() => FuzzTargets.All.Select(t => t.Name);

    [TestCaseSource(nameof(SeedFiles))]
    public async Task SeedInputRunsCleanly(string target, string file) =>
        await FuzzInputs.RunAsync(FuzzTargets.Get(target), await File.ReadAllBytesAsync(file));

    [TestCaseSource(nameof(RegressionFiles))]
    public async Task RegressionInputRunsCleanly(string target, string file) =>
        await FuzzInputs.RunAsync(FuzzTargets.Get(target), await File.ReadAllBytesAsync(file));

    [TestCaseSource(nameof(TargetNames))]
    public void EveryTargetHasASeedCorpus(string target) =>
        Corpus.Seeds(FuzzInputs.Directory, target).Should().NotBeEmpty($"fuzz/corpus/{target} seeds afl and the mutation loop");

    [Test]
    public void EveryRegressionFolderIsATarget() =>
        System.IO.Directory.GetDirectories(Path.Combine(FuzzInputs.Directory, "regressions")).Select(Path.GetFileName)
            .Should().BeSubsetOf(TargetNames(), "an input in a misnamed folder would never be replayed");
}
