namespace VirtualMedia.Fuzz.Harness;

/// <summary>The committed inputs of a target: seeds (<c>fuzz/corpus/TARGET</c>) and findings (<c>fuzz/regressions/TARGET</c>).</summary>
public static class Corpus
{
    /// <summary>The seed files of <paramref name="target"/> under the repository's <paramref name="fuzzDirectory"/>.</summary>
    public static IReadOnlyList<string> Seeds(string fuzzDirectory, string target) => FilesIn(Path.Combine(fuzzDirectory, "corpus", target));

    /// <summary>The regression inputs of <paramref name="target"/>: every crash or hang afl found, after its fix.</summary>
    public static IReadOnlyList<string> Regressions(string fuzzDirectory, string target) => FilesIn(Path.Combine(fuzzDirectory, "regressions", target));

    private static string[] FilesIn(string directory) =>
        Directory.Exists(directory) ? Directory.GetFiles(directory).Order(StringComparer.Ordinal).ToArray() : [];
}
