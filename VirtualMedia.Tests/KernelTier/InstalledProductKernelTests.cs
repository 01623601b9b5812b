using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.KernelTier;

/// <summary>
/// The product as installed, on the real kernel: scripts/install's tree overlaid on the guest's /usr and
/// /etc, the host's systemd as PID 1 with dbus and journald, the native binary started by systemd from the
/// shipped unit; VirtualMedia.Tests.Guest's <c>installed</c> suite drives it on the system bus as bmcweb does.
/// </summary>
[TestFixture]
public sealed class InstalledProductKernelTests : KernelVmSuite
{
    private static readonly string[] Cases =
    [
        "InstalledUnitStartsWithTheDefaultSlots", "TestConfigurationTakesOverOnRestart", "HttpsCdWithCredentials",
        "HttpsStickWithCredentials", "HttpsCdWithTheWriteEndHeldOpen", "HttpsStickWithTheWriteEndHeldOpen", "FileImageFromImageDirectory",
        "ReadWriteStickKeepsTheHostsWrites", "ProxySlotReadsWhatBmcwebServes",
        "StopEjectsEveryActiveSlot", "KilledServiceIsRestartedAndCleansUp", "ImageServerKilledMidReadGivesIoErrors",
        "UploadedImageOutlivesItsServer", "IdleSlotIsEjected",
    ];

    private readonly TempDirectory _install = new("installed-product");

    protected override string SuiteName => "installed";

    protected override IReadOnlyCollection<string> ExpectedCases => Cases;

    protected override async Task<KernelVmRun> BootAsync()
    {
        const string Guest = "VirtualMedia.Tests.Guest";
        var root = _install.Combine("root");
        (await ExternalProcess.RunAsync(Repository.Combine("scripts/install"), [.. NativeBinaryArguments(), root], TimeSpan.FromMinutes(10)))
            .EnsureSuccess("scripts/install");

        var script = KernelVm.DotnetCommand(Guest, "installed \"$VM_RESULTS\"");
        return await KernelVm.RunAsync(new KernelVmRequest(KernelVm.GadgetModules, script, [KernelVm.OutputDirectory(Guest)])
        {
            InstallRoot = root,
            Timeout = TimeSpan.FromSeconds(480),
        });
    }

    protected override bool IsProgressLine(string line) => line.StartsWith("VM-FLOW", StringComparison.Ordinal);

    [OneTimeTearDown]
    public void RemoveInstallTree() => _install.Dispose();

    [TestCaseSource(nameof(Cases))]
    public void Case(string name) => Run.AssertPassed(name);

    // scripts/test publishes the native binary once and names it in VIRTUALMEDIA_SERVICE; the JIT build's
    // apphost (a VirtualMedia.Service.dll beside it) is not what a BMC runs, so scripts/install publishes then.
    private static string[] NativeBinaryArguments()
    {
        var service = Environment.GetEnvironmentVariable("VIRTUALMEDIA_SERVICE");
        return service is { Length: > 0 } && File.Exists(service) && !File.Exists(Path.ChangeExtension(service, ".dll"))
            ? ["--binary", service]
            : [];
    }
}
