using VirtualMedia.Tests.Infrastructure;
using VirtualMedia.Tests.KernelTier;

namespace VirtualMedia.Tests.Shares;

/// <summary>
/// smb:// and nfs:// on a real kernel: one VM boot starts a real smbd and the kernel's nfsd on the
/// guest's loopback (scripts/kernel-vm/shares/start-servers) and runs VirtualMedia.Tests.Guest's
/// <c>shares</c> suite: our mounter through the kernel's CIFS and NFS clients, images read back
/// through our NBD export and nbd-client, every failure leaving nothing mounted.
/// </summary>
[TestFixture]
public sealed class ShareKernelTests : KernelVmSuite
{
    /// <summary>The share clients with the crypto SMB 3 signing and sealing need, the NFS server, and the gadget chain.</summary>
    public static readonly IReadOnlyList<string> Modules =
    [
        "cifs", "gcm", "ccm", "cmac", "ctr", "ecb", "ghash_generic", "sha512_generic", "nls_utf8",
        "nfsv4", "nfsv3", "nfsd", .. KernelVm.GadgetModules,
    ];

    private static readonly string[] Cases =
    [
        "SmbSealedMountServesTheImage", "SmbGuestMountReadsTheImage", "SmbWrongPasswordIsEacces", "SmbMissingShareIsEnoent",
        "SmbMissingFileUnmountsAgain", "SmbNoServerIsRefused", "SmbReadWriteShareTakesWrites", "SmbFallsBackToSmb30", "NfsMountServesTheImage",
        "NfsMissingFileUnmountsAgain", "NfsMissingExportIsEnoent", "NfsReadOnlyExportRefusesReadWrite", "NfsReadWriteExportTakesWrites",
        "LeftoversAreRemovedAtStart", "StopReleasesEveryShare", "ServiceStartsOnTheRealKernel",
        "ServiceRefusesAWrongPasswordAtMount", "ServiceMountsAnSmbImageForTheHost", "ServiceReleasesAnNfsShareOnStop", "NfsFallsBackToV3",
    ];

    protected override string SuiteName => "shares";

    protected override IReadOnlyCollection<string> ExpectedCases => Cases;

    protected override Task<KernelVmRun> BootAsync()
    {
        const string Guest = "VirtualMedia.Tests.Guest";
        var scripts = Path.Combine(Repository.Root, "scripts", "kernel-vm", "shares");

        // A password with the characters the CIFS option syntax treats specially.
        var script =
            "export SHARES_DIR=/tmp/shares SHARES_PASSWORD='pa,ss w=rd,'\n"
            + $"sh '{scripts}/start-servers' \"$SHARES_DIR\" || exit 1\n"
            + KernelVm.DotnetCommand(Guest, "shares \"$VM_RESULTS\"");
        return KernelVm.RunAsync(new KernelVmRequest(Modules, script, [KernelVm.OutputDirectory(Guest), scripts]));
    }

    protected override bool IsProgressLine(string line) => line.StartsWith("shares:", StringComparison.Ordinal);

    [TestCaseSource(nameof(Cases))]
    public void Case(string name) => Run.AssertPassed(name);
}
