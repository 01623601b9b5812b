using System.Diagnostics;
using VirtualMedia.Tests.Guest.Runner;

namespace VirtualMedia.Tests.Guest.Installed;

/// <summary>Runs a program of the guest (systemctl, journalctl, openssl) to its end.</summary>
internal static class GuestProgram
{
    /// <summary>Runs <paramref name="program"/>; fails the case unless it exits 0. Returns its standard output.</summary>
    public static async Task<string> RunAsync(string program, string[] arguments, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info) ?? throw new CaseFailedException($"cannot start {program}");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new CaseFailedException($"{program} {string.Join(' ', arguments)} exited {process.ExitCode}: {await error}");
        }

        return await output;
    }
}
