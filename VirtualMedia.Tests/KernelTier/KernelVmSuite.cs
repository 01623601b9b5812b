namespace VirtualMedia.Tests.KernelTier;

/// <summary>
/// A fixture whose cases all run in one kernel VM boot: the boot happens once, each case then
/// asserts its own result, and a guest case missing from the fixture's list fails the run.
/// </summary>
[Category("KernelVm")]
public abstract class KernelVmSuite
{
    private KernelVmRun? _run;

    /// <summary>The suite's name in progress output.</summary>
    protected abstract string SuiteName { get; }

    /// <summary>The guest cases this fixture expects, each asserted by its own test.</summary>
    protected abstract IReadOnlyCollection<string> ExpectedCases { get; }

    /// <summary>The run's results; valid once the one-time set-up booted the VM.</summary>
    protected KernelVmRun Run => _run ?? throw new InvalidOperationException("the kernel VM has not run");

    /// <summary>Boots the VM and runs every guest case of the suite.</summary>
    protected abstract Task<KernelVmRun> BootAsync();

    /// <summary>Console lines worth showing in the test output besides the VM's own stamps.</summary>
    protected virtual bool IsProgressLine(string line) => false;

    [OneTimeSetUp]
    public async Task BootOnce()
    {
        _run = await BootAsync();
        var stamps = _run.Console.Split('\n').Where(line =>
            line.StartsWith("VM-TIME", StringComparison.Ordinal) || line.StartsWith("VM-CASE", StringComparison.Ordinal)
            || IsProgressLine(line));
        await TestContext.Progress.WriteLineAsync(
            $"kernel VM ({SuiteName} suite): {_run.Elapsed.TotalSeconds:0.0} s wall time\n{string.Join('\n', stamps)}");
    }

    [OneTimeTearDown]
    public void Clean() => _run?.Dispose();

    [Test]
    public void EveryGuestCaseIsListedHere() =>
        Run.Cases.Keys.Should().BeEquivalentTo(ExpectedCases, "a case added to the guest needs its line here");
}
