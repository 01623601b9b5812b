using System.Diagnostics;
using VirtualMedia.Gadget.ConfigFs;
using VirtualMedia.Gadget.Kernel;
using VirtualMedia.Tests.Guest.Runner;

namespace VirtualMedia.Tests.Guest.Gadget;

/// <summary>Leaves a stale gadget the way a crash does: a second process mounts a slot and is killed with SIGKILL.</summary>
internal static class StaleGadgetMaker
{
    private const int Nbd = 1;
    private const string Ready = "MOUNTED ";

    /// <summary>In the child: mounts <paramref name="slot"/>, says on which UDC, and waits to be killed.</summary>
    public static async Task<int> MountAndWaitAsync(string slot)
    {
        var kernel = KernelSide.Real(KernelPaths.Host);
        var rig = await SlotRig.MountAsync(kernel, new GadgetComposer(kernel, new CaseLog()), slot, Nbd, MediaType.UsbStick, false, new CaseLog(), CancellationToken.None);
        Console.WriteLine(Ready + rig.Gadget!.Udc);
        await HostDisk.WaitForAsync(rig.Gadget.Udc, "sd", CancellationToken.None);
        Console.WriteLine("DISK");
        await Task.Delay(Timeout.Infinite);
        return 0;
    }

    /// <summary>Runs the child, waits until the host sees its disk, kills it; returns the UDC it held.</summary>
    public static async Task<string> MountInAProcessAndKillItAsync(string slot, CaseLog log, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in new[] { typeof(StaleGadgetMaker).Assembly.Location, "leave-gadget", slot })
        {
            info.ArgumentList.Add(argument);
        }

        using var child = Process.Start(info)!;
        try
        {
            var udc = "";
            while (await child.StandardOutput.ReadLineAsync(cancellationToken) is { } line && line != "DISK")
            {
                udc = line.StartsWith(Ready, StringComparison.Ordinal) ? line[Ready.Length..] : udc;
            }

            if (udc.Length == 0)
            {
                throw new CaseFailedException("the child process ended without mounting");
            }

            log.Write($"child {child.Id} mounted {slot} on {udc}; killing it with SIGKILL");
            return udc;
        }
        finally
        {
            child.Kill();
            await child.WaitForExitAsync(cancellationToken);
        }
    }
}
