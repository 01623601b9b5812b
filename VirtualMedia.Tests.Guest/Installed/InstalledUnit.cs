using System.Diagnostics;

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

    /// <summary>How many err lines the unit has logged so far this boot; <see cref="ErrorsSinceAsync"/> reads those after them.</summary>
    /// <remarks>A count, not a journal cursor: in the VM, <c>--after-cursor</c> of a cursor from <c>-n 0 --show-cursor</c> with
    /// <c>-u</c> and <c>-p err</c> found none of the err lines the unit logged after it.</remarks>
    public static async Task<int> ErrorMarkAsync(CancellationToken cancellationToken) => (await ErrorsAsync(cancellationToken)).Length;

    /// <summary>The unit's lines at priority err or worse after <paramref name="mark"/> (<c>journalctl -u … -p err</c>).</summary>
    public static async Task<string[]> ErrorsSinceAsync(int mark, CancellationToken cancellationToken) =>
        (await ErrorsAsync(cancellationToken)).Skip(mark).ToArray();

    /// <summary>
    /// The unit's err lines after <paramref name="mark"/> once one of them contains <paramref name="expected"/>, or after
    /// 10 s: the service writes a line before it answers on the bus, but journald may read its stdout later still.
    /// </summary>
    public static async Task<string[]> ErrorsOnceLoggedAsync(int mark, string expected, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var errors = await ErrorsSinceAsync(mark, cancellationToken);
            if (errors.Any(e => e.Contains(expected, StringComparison.Ordinal)) || deadline.Elapsed > TimeSpan.FromSeconds(10))
            {
                return errors;
            }

            await Task.Delay(200, cancellationToken);
        }
    }

    /// <summary>Every err line of the unit this boot, oldest first.</summary>
    private static async Task<string[]> ErrorsAsync(CancellationToken cancellationToken)
    {
        // journald receives the service's stdout asynchronously: flush what it holds first.
        await GuestProgram.RunAsync("journalctl", ["--sync"], cancellationToken);
        var output = await GuestProgram.RunAsync("journalctl", ["-b", "-u", Name, "-p", "err", "-o", "cat", "--no-pager", "-q"], cancellationToken);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>The unit's last lines with their syslog priority, for a failed case's log.</summary>
    public static Task<string> PrioritiesAsync(CancellationToken cancellationToken) =>
        GuestProgram.RunAsync("journalctl", ["-b", "-u", Name, "-n", "6", "-o", "json", "--output-fields=PRIORITY,MESSAGE", "--no-pager", "-q"], cancellationToken);

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
