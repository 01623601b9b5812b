using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.KernelTier;

/// <summary>A finished VM: the guest's exit code and console, its wall time and its cases. Dispose removes its files.</summary>
public sealed class KernelVmRun(TempDirectory work, int exitCode, string console, TimeSpan elapsed, IReadOnlyDictionary<string, GuestCaseResult> cases)
    : IDisposable
{
    /// <summary>The guest script's exit code (125: the guest never reported one).</summary>
    public int ExitCode { get; } = exitCode;

    /// <summary>The serial console: kernel messages, the script's output, <c>VM-TIME</c> stamps.</summary>
    public string Console { get; } = console;

    /// <summary>Wall time from starting qemu to its end.</summary>
    public TimeSpan Elapsed { get; } = elapsed;

    /// <summary>Results by case name.</summary>
    public IReadOnlyDictionary<string, GuestCaseResult> Cases { get; } = cases;

    /// <summary>Fails the calling test unless the case ran and passed; the case's log (or the console) explains.</summary>
    public void AssertPassed(string name)
    {
        if (!Cases.TryGetValue(name, out var result))
        {
            Assert.Fail($"the guest reported no result for {name} (exit code {ExitCode}); console:\n{Tail(Console)}");
        }
        else if (!result.Passed)
        {
            Assert.Fail($"{name} failed in the kernel VM:\n{result.Log}");
        }
    }

    /// <inheritdoc />
    public void Dispose() => work.Dispose();

    private static string Tail(string text) => text.Length <= 6000 ? text : text[^6000..];
}
