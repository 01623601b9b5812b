using VirtualMedia.Gadget.BlockDevice;

namespace VirtualMedia.Gadget.Kernel;

/// <summary>
/// Everything the gadget layer touches of the kernel, chosen once: the paths, the configfs writes
/// and who runs the NBD client. The same code then runs on a BMC, in the kernel VM and in the sandbox.
/// </summary>
/// <param name="Paths">Where sysfs, configfs, /dev and nbd-client are.</param>
/// <param name="Files">How configfs and sysfs are written.</param>
/// <param name="NbdClients">Who attaches an NBD block device.</param>
public sealed record KernelSide(KernelPaths Paths, IKernelFiles Files, INbdClientLauncher NbdClients)
{
    /// <summary>A real kernel whose interfaces are under <paramref name="paths"/> (normally <see cref="KernelPaths.Host"/>).</summary>
    public static KernelSide Real(KernelPaths paths) =>
        new(paths, new KernelFiles(), new NbdClientProcessLauncher(paths.NbdClient));
}
