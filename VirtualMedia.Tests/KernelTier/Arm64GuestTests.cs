using System.Diagnostics;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.KernelTier;

/// <summary>
/// The linux-arm64 binary a BMC runs, on a real arm64 kernel: Debian's linux-image-arm64 under qemu-system-aarch64
/// (scripts/kernel-vm/arm64) with an arm64 nbd-client and dbus-daemon; one legacy and one proxy mount through
/// configfs, dummy_hcd and nbd, each read back byte for byte on the host side of the gadget and gone after Unmount.
/// </summary>
[TestFixture]
public sealed class Arm64GuestTests : KernelVmSuite
{
    private static readonly string[] Cases = ["legacy", "proxy"];

    protected override string SuiteName => "arm64 gadget mounts";

    protected override IReadOnlyCollection<string> ExpectedCases => Cases;

    [TestCaseSource(nameof(Cases))]
    public void Case(string name) => Run.AssertPassed(name);

    protected override async Task<KernelVmRun> BootAsync()
    {
        var binary = Environment.GetEnvironmentVariable("VIRTUALMEDIA_ARM64_SERVICE");
        if (string.IsNullOrEmpty(binary) || !File.Exists(binary))
        {
            Require.Missing("the linux-arm64 service binary (VIRTUALMEDIA_ARM64_SERVICE, which scripts/test publishes)");
        }

        Require.Tool("qemu-system-aarch64");
        Require.Tool("cpio");
        Require.Tool("modprobe");
        Require.Tool("depmod");

        var work = new TempDirectory("arm64-vm");
        var results = Directory.CreateDirectory(work.Combine("results")).FullName;
        var service = work.Combine("virtual-media");
        File.Copy(binary!, service); // keeps its mode (executable)
        var mounts = work.Combine("gadget-mounts.sh");
        File.Copy(Repository.Combine("scripts/kernel-vm/arm64/gadget-mounts.sh"), mounts);
        var script = work.Combine("guest.sh");
        await File.WriteAllTextAsync(script, $"sh '{mounts}' '{service}' '{results}'\n");

        var clock = Stopwatch.StartNew();
        var run = await ExternalProcess.RunAsync(
            Repository.Combine("scripts/kernel-vm/arm64/run-vm"),
            ["-t", "400", "-s", work.Path, script],
            TimeSpan.FromSeconds(400 + 180)); // the first run also downloads the kernel and the userland
        var cases = Directory.EnumerateFiles(results)
            .Where(f => Path.GetExtension(f) is ".pass" or ".fail")
            .Select(f => new GuestCaseResult(Path.GetFileNameWithoutExtension(f), f.EndsWith(".pass", StringComparison.Ordinal), File.ReadAllText(f)))
            .ToDictionary(r => r.Name, StringComparer.Ordinal);
        return new KernelVmRun(work, run.ExitCode, run.StandardOutput + run.StandardError, clock.Elapsed, cases);
    }
}
