namespace VirtualMedia.Tests.KernelTier;

/// <summary>
/// The Gadget layer on a real kernel: one VM boot runs every case of VirtualMedia.Tests.Guest's
/// <c>gadget</c> suite (image → our NBD export → nbd-client → /dev/nbdX → our gadget → host sda/sr0).
/// </summary>
[TestFixture]
public sealed class GadgetKernelTests : KernelVmSuite
{
    private static readonly string[] Cases =
    [
        "FirstMountAfterBootIsKept", "StaleGadgetIsRemovedAtStart", "StaleNbdConnectionIsDisconnectedAtStart", "UsbStickShowsTheImage", "CdShowsTheImage",
        "WriteProtectedRefusesWrites", "UnbindRemovesTheDisk", "TwoSlotsOnTwoUdcs",
    ];

    protected override string SuiteName => "gadget";

    protected override IReadOnlyCollection<string> ExpectedCases => Cases;

    protected override Task<KernelVmRun> BootAsync()
    {
        const string Guest = "VirtualMedia.Tests.Guest";
        return KernelVm.RunAsync(new KernelVmRequest(
            KernelVm.GadgetModules,
            KernelVm.DotnetCommand(Guest, "gadget \"$VM_RESULTS\""),
            [KernelVm.OutputDirectory(Guest)]));
    }

    [TestCaseSource(nameof(Cases))]
    public void Case(string name) => Run.AssertPassed(name);
}
