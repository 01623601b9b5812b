using System.Diagnostics;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.KernelTier;

/// <summary>
/// Boots Debian's kernel under qemu (scripts/kernel-vm/run-vm) with the given modules, runs one guest
/// script in a chroot of the host's /usr and /etc, and brings back one result per case.
/// </summary>
/// <remarks>
/// The guest script finds <c>$VM_RESULTS</c> (a shared directory) and leaves <c>&lt;case&gt;.pass</c> or
/// <c>&lt;case&gt;.fail</c> there, each holding the case's log. See scripts/kernel-vm/README.md.
/// </remarks>
public static class KernelVm
{
    /// <summary>The gadget chain: configfs mass storage, two dummy UDCs, the host's USB storage, nbd.</summary>
    public static IReadOnlyList<string> GadgetModules { get; } =
    [
        "configfs", "libcomposite", "usb_f_mass_storage", "dummy_hcd:num=2", "usb-storage:delay_use=0",
        "sd_mod", "sr_mod", "nbd", "loop",
    ];

    /// <summary>The build configuration the tests run in (Release under scripts/test).</summary>
    public static string Configuration { get; } =
        new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/')).Parent!.Name;

    /// <summary>
    /// A guest script line that runs a built .NET program of this repository inside the guest, with the
    /// runtime settings that keep start-up short under emulation.
    /// </summary>
    /// <param name="project">The project folder, e.g. <c>VirtualMedia.Tests.Guest</c>.</param>
    /// <param name="arguments">Its arguments; <c>"$VM_RESULTS"</c> may be used.</param>
    public static string DotnetCommand(string project, string arguments) =>
        $"DOTNET_TieredPGO=0 DOTNET_TC_QuickJitForLoops=1 DOTNET_gcServer=0 DOTNET_CLI_TELEMETRY_OPTOUT=1 " +
        $"dotnet '{OutputDirectory(project)}/{project}.dll' {arguments}";

    /// <summary>The build output folder of a project of this repository.</summary>
    public static string OutputDirectory(string project) =>
        Path.Combine(Repository.Root, project, "bin", Configuration, "net10.0");

    /// <summary>Boots the VM, runs the script, returns every case's result (skips locally, fails under CI, without qemu).</summary>
    public static async Task<KernelVmRun> RunAsync(KernelVmRequest request, CancellationToken cancellationToken = default)
    {
        Require.Tool("qemu-system-x86_64");
        Require.Tool("busybox");
        Require.Tool("cpio");
        Require.Tool("depmod");

        var work = new TempDirectory("kernel-vm");
        var results = Directory.CreateDirectory(work.Combine("results")).FullName;
        var script = work.Combine("guest.sh");
        await File.WriteAllTextAsync(
            script,
            $"export VM_RESULTS='{results}'\nmkdir -m 0700 -p /run/vm-guest\n{request.GuestScript}\n",
            cancellationToken);

        List<string> arguments = ["-t", ((int)request.Timeout.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture)];
        foreach (var module in request.Modules)
        {
            arguments.AddRange(["-m", module]);
        }

        if (request.InstallRoot is not null)
        {
            arguments.AddRange(["-S", "-i", request.InstallRoot]);
        }

        foreach (var share in request.SharedDirectories.Append(work.Path).Distinct(StringComparer.Ordinal))
        {
            arguments.AddRange(["-s", share]);
        }

        arguments.Add(script);
        var clock = Stopwatch.StartNew();
        var run = await ExternalProcess.RunAsync(
            Path.Combine(Repository.Root, "scripts/kernel-vm/run-vm"),
            arguments,
            request.Timeout + TimeSpan.FromSeconds(120), // the first run also downloads the kernel
            cancellationToken: cancellationToken);
        return new KernelVmRun(work, run.ExitCode, run.StandardOutput + run.StandardError, clock.Elapsed, ReadCases(results));
    }

    private static Dictionary<string, GuestCaseResult> ReadCases(string results) =>
        Directory.EnumerateFiles(results)
            .Where(f => f.EndsWith(".pass", StringComparison.Ordinal) || f.EndsWith(".fail", StringComparison.Ordinal))
            .Select(f => new GuestCaseResult(
                Path.GetFileNameWithoutExtension(f), f.EndsWith(".pass", StringComparison.Ordinal), File.ReadAllText(f)))
            .ToDictionary(r => r.Name, StringComparer.Ordinal);
}
