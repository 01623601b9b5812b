using Microsoft.Extensions.Logging;
using VirtualMedia.Service.Configuration;

namespace VirtualMedia.Service.Shares;

/// <summary><c>smb://</c> and <c>nfs://</c> support: the kernel share mounter for a configuration.</summary>
internal static class ShareServices
{
    /// <summary>The mounter; the service removes its leftovers before slots exist and releases it after they are gone.</summary>
    public static ShareMounter CreateMounter(ServiceConfiguration configuration, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(configuration);

        // A sandboxed service keeps even its mount points inside the sandbox, and asks the sandbox's (absent) /proc and
        // modules which share clients the kernel has: none, whatever the machine running the sandbox has.
        var sandbox = configuration.Sandbox;
        var options = new ShareMounterOptions
        {
            Root = sandbox is null ? new ShareMounterOptions().Root : Path.Combine(sandbox, "run", "virtual-media"),
        };
        var support = sandbox is null
            ? new KernelShareSupport()
            : new KernelShareSupport(Path.Combine(sandbox, "proc", "filesystems"), Path.Combine(sandbox, "lib", "modules"));
        return new ShareMounter(options, new KernelMountSystem(), support, logger);
    }
}
