namespace VirtualMedia.Fuzz.Harness;

/// <summary>A target's own check failed: the parser accepted the input but broke a promise (e.g. showed a credential).</summary>
public sealed class FuzzFindingException : Exception
{
    public FuzzFindingException(string message)
        : base(message)
    {
    }

    public FuzzFindingException()
    {
    }

    public FuzzFindingException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
