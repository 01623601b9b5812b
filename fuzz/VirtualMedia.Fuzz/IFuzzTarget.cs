namespace VirtualMedia.Fuzz;

/// <summary>One parser of outside input, driven with arbitrary bytes.</summary>
/// <remarks>
/// <see cref="RunAsync"/> returns for every input the product accepts or refuses the way it documents (its own
/// exception types, turned into a clear error upstream); anything else it throws — and any input it never returns
/// for — is a defect. afl-fuzz (fuzz/run) and the NUnit suite call the same method.
/// </remarks>
public interface IFuzzTarget
{
    /// <summary>The name used by <c>fuzz/run</c> and for the corpus and regression folders.</summary>
    string Name { get; }

    /// <summary>Feeds one input through the parser.</summary>
    Task RunAsync(ReadOnlyMemory<byte> input);
}
