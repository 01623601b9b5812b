using System.Diagnostics;
using VirtualMedia.Tests.Guest.Runner;

namespace VirtualMedia.Tests.Guest.Installed;

/// <summary>The installed <c>virtual-media.service</c>, driven as an operator would: systemctl and journalctl.</summary>
internal static class InstalledUnit
{
    public const string Name = "virtual-media.service";

    /// <summary>Runs systemctl; fails the case unless it exits 0. Returns its output.</summary>
    public static Task<string> SystemctlAsync(CancellationToken cancellationToken, params string[] arguments) =>
        GuestProgram.RunAsync("systemctl", arguments, cancellationToken);

    /// <summary>One property of the unit (<c>systemctl show -p NAME --value</c>).</summary>
    public static async Task<string> PropertyAsync(string property, CancellationToken cancellationToken) =>
        (await SystemctlAsync(cancellationToken, "show", "-p", property, "--value", Name)).Trim();

    /// <summary>The journal's position now; <see cref="ErrorsSinceAsync"/> reads what came after it.</summary>
    public static async Task<string> JournalCursorAsync(CancellationToken cancellationToken)
    {
        var output = await GuestProgram.RunAsync("journalctl", ["-n", "0", "--show-cursor", "--no-pager"], cancellationToken);
        const string Prefix = "-- cursor: ";
        var line = output.Split('\n').FirstOrDefault(l => l.StartsWith(Prefix, StringComparison.Ordinal));
        return line?[Prefix.Length..].Trim() ?? throw new CaseFailedException($"journalctl printed no cursor: {output}");
    }

    /// <summary>The unit's lines at priority err or worse after <paramref name="cursor"/> (<c>journalctl -u … -p err</c>).</summary>
    public static async Task<string[]> ErrorsSinceAsync(string cursor, CancellationToken cancellationToken)
    {
        // journald receives the service's stdout asynchronously: flush what it holds first.
        await GuestProgram.RunAsync("journalctl", ["--sync"], cancellationToken);
        var output = await GuestProgram.RunAsync(
            "journalctl", ["-u", Name, "-p", "err", "--after-cursor", cursor, "-o", "cat", "--no-pager", "-q"], cancellationToken);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>
    /// The unit's err lines after <paramref name="cursor"/> once one of them contains <paramref name="expected"/>, or after
    /// 10 s: the service writes a line before it answers on the bus, but journald may read its stdout later still.
    /// </summary>
    public static async Task<string[]> ErrorsOnceLoggedAsync(string cursor, string expected, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var errors = await ErrorsSinceAsync(cursor, cancellationToken);
            if (errors.Any(e => e.Contains(expected, StringComparison.Ordinal)) || deadline.Elapsed > TimeSpan.FromSeconds(10))
            {
                return errors;
            }

            await Task.Delay(200, cancellationToken);
        }
    }

    /// <summary>The unit's whole journal, for a failed case's log.</summary>
    public static Task<string> JournalAsync(CancellationToken cancellationToken) =>
        GuestProgram.RunAsync("journalctl", ["-u", Name, "-o", "short-monotonic", "--no-pager", "-q"], cancellationToken);

    /// <summary>Waits until systemd reports the unit running with a main process other than <paramref name="previousPid"/>.</summary>
    public static async Task<int> WaitRestartedAsync(string previousPid, CancellationToken cancellationToken)
    {
        while (true)
        {
            var pid = await PropertyAsync("MainPID", cancellationToken);
            if (pid != "0" && pid != previousPid && await PropertyAsync("SubState", cancellationToken) == "running")
            {
                return int.Parse(pid, System.Globalization.CultureInfo.InvariantCulture);
            }

            await Task.Delay(100, cancellationToken);
        }
    }
}
