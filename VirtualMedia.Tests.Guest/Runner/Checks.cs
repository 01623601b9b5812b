namespace VirtualMedia.Tests.Guest.Runner;

/// <summary>What a guest case asserts with: a failed check ends the case with what was seen.</summary>
internal static class Checks
{
    /// <summary>Fails the case with <paramref name="failure"/> unless <paramref name="condition"/> holds.</summary>
    public static void Check(bool condition, string failure)
    {
        if (!condition)
        {
            throw new CaseFailedException(failure);
        }
    }

    /// <summary>Runs <paramref name="action"/> and returns the <typeparamref name="T"/> it throws; fails the case if it throws nothing.</summary>
    public static T Expect<T>(Action action)
        where T : Exception
    {
        try
        {
            action();
        }
        catch (T e)
        {
            return e;
        }

        throw new CaseFailedException($"expected {typeof(T).Name}, nothing was thrown");
    }
}
