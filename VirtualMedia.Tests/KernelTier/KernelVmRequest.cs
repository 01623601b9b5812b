namespace VirtualMedia.Tests.KernelTier;

/// <summary>What to boot and run: modules (with <c>:param=value,…</c>), the guest shell script, extra shared folders.</summary>
/// <param name="Modules">Kernel modules to load with their dependencies, e.g. <c>dummy_hcd:num=2</c>, <c>cifs</c>.</param>
/// <param name="GuestScript">Shell script run in the guest's chroot; it writes results into <c>$VM_RESULTS</c>.</param>
/// <param name="SharedDirectories">Host folders mounted read-write at the same path in the guest (build output, data).</param>
public sealed record KernelVmRequest(IReadOnlyList<string> Modules, string GuestScript, IReadOnlyList<string> SharedDirectories)
{
    /// <summary>Limit for the whole VM (boot, script, power-off).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(240);

    /// <summary>
    /// When set, a tree laid out by scripts/install: the guest boots the host's systemd as PID 1 with this
    /// tree overlaid on /usr and /etc, and a unit runs the script (run-vm -S -i).
    /// </summary>
    public string? InstallRoot { get; init; }
}
