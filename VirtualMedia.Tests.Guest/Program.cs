using VirtualMedia.Tests.Guest.Gadget;
using VirtualMedia.Tests.Guest.Installed;
using VirtualMedia.Tests.Guest.Runner;
using VirtualMedia.Tests.Guest.Shares;

// Usage inside the kernel VM: dotnet VirtualMedia.Tests.Guest.dll <suite> <results-dir> [case...]
// Each case leaves <results-dir>/<case>.pass or <case>.fail (its log); see scripts/kernel-vm/README.md.
if (args is ["leave-gadget", var slot])
{
    // A process that mounts a slot and then waits to be killed: the stale-gadget case's predecessor.
    return await StaleGadgetMaker.MountAndWaitAsync(slot);
}

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: VirtualMedia.Tests.Guest <suite> <results-dir> [case...]");
    return 2;
}

IReadOnlyList<GuestCase> suite = args[0] switch
{
    "gadget" => GadgetCases.All,
    "shares" => ShareCases.All,
    "installed" => InstalledCases.All,
    _ => [],
};
if (suite.Count == 0)
{
    Console.Error.WriteLine($"unknown suite '{args[0]}'");
    return 2;
}

var only = args.Skip(2).ToHashSet(StringComparer.Ordinal);
var selected = suite.Where(c => only.Count == 0 || only.Contains(c.Name)).ToList();
return await GuestCaseRunner.RunAsync(selected, args[1]);
