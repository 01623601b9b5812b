namespace VirtualMedia.Tests.Infrastructure;

/// <summary>Guards for tests that drive real external programs.</summary>
/// <remarks>
/// A missing program skips the test on a developer's machine, but fails it when <c>CI=true</c>:
/// CI installs every peer, so a missing one there is a broken set-up, not a reason to pass.
/// </remarks>
public static class Require
{
    private static readonly string[] SearchPath =
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin")
        .Split(':', StringSplitOptions.RemoveEmptyEntries)
        .Concat(["/usr/sbin", "/sbin"])
        .ToArray();

    /// <summary>True when this run is CI, where nothing may be skipped: <c>CI</c> set to anything a runner sets
    /// (<c>true</c>, <c>1</c>, <c>yes</c>…), not empty, <c>0</c>, <c>false</c> or <c>no</c>.</summary>
    public static bool IsCi =>
        Environment.GetEnvironmentVariable("CI")?.Trim().ToLowerInvariant() is { Length: > 0 } value
        && value is not ("0" or "false" or "no" or "off");

    /// <summary>Returns the full path of <paramref name="program"/>, or skips (fails under CI) the test.</summary>
    public static string Tool(string program)
    {
        var path = Find(program);
        if (path is null)
        {
            Missing($"'{program}' is not installed");
        }

        return path!;
    }

    /// <summary>Returns the full path of a program, or null when it is not installed.</summary>
    public static string? Find(string program) =>
        program.Contains('/', StringComparison.Ordinal)
            ? (File.Exists(program) ? program : null)
            : SearchPath.Select(dir => Path.Combine(dir, program)).FirstOrDefault(File.Exists);

    /// <summary>Skips the test locally, fails it under CI.</summary>
    public static void Missing(string what) => Skip(what, "CI must install it (.ci/run)", "install it (scripts/install-deps) to run this test");

    /// <summary>Skips a test this machine cannot run (<paramref name="why"/>) locally; fails it under CI, whose machine must run it.</summary>
    public static void Unsupported(string why, string whereItRuns) =>
        Skip(why, "CI's machine must run it", whereItRuns);

    private static void Skip(string what, string inCi, string locally)
    {
        if (IsCi)
        {
            Assert.Fail($"{what}; {inCi}");
        }

        Assert.Ignore($"{what}; {locally}");
    }
}
