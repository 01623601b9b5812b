namespace VirtualMedia.Tests.KernelTier;

/// <summary>
/// The Gadget layer on a real kernel: one VM boot runs every case of VirtualMedia.Tests.Guest's
/// <c>gadget</c> suite (image → our NBD export → nbd-client → /dev/nbdX → our gadget → host sda/sr0).
/// </summary>
[TestFixture]
[Category("KernelVm")]
public sealed class GadgetKernelTests
{
    private static readonly string[] Cases =
    [
        "FirstMountAfterBootIsKept", "StaleGadgetIsRemovedAtStart", "UsbStickShowsTheImage", "CdShowsTheImage",
        "WriteProtectedRefusesWrites", "UnbindRemovesTheDisk", "TwoSlotsOnTwoUdcs",
    ];

    private KernelVmRun? _run;

    [OneTimeSetUp]
    public async Task BootOnce()
    {
        const string Guest = "VirtualMedia.Tests.Guest";
        _run = await KernelVm.RunAsync(new KernelVmRequest(
            KernelVm.GadgetModules,
            KernelVm.DotnetCommand(Guest, "gadget \"$VM_RESULTS\""),
            [KernelVm.OutputDirectory(Guest)]));
        var stamps = _run.Console.Split('\n').Where(line => line.StartsWith("VM-TIME", StringComparison.Ordinal) || line.StartsWith("VM-CASE", StringComparison.Ordinal));
        await TestContext.Progress.WriteLineAsync(
            $"kernel VM (gadget suite): {_run.Elapsed.TotalSeconds:0.0} s wall time\n{string.Join('\n', stamps)}");
    }

    [OneTimeTearDown]
    public void Clean() => _run?.Dispose();

    [TestCaseSource(nameof(Cases))]
    public void Case(string name) => _run!.AssertPassed(name);

    [Test]
    public void EveryGuestCaseIsListedHere() =>
        _run!.Cases.Keys.Should().BeEquivalentTo(Cases, "a case added to the guest needs its line here");
}
