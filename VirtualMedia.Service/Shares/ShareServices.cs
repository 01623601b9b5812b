using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using VirtualMedia.Service.Configuration;

namespace VirtualMedia.Service.Shares;

/// <summary>Registers <c>smb://</c> and <c>nfs://</c> support: the kernel share mounter behind <see cref="IShareMounter"/>, and its clean-up at start and stop.</summary>
internal static class ShareServices
{
    /// <summary>Adds the share step; call before the service's own hosted service so that leftovers are gone before slots exist.</summary>
    public static IServiceCollection AddKernelShares(this IServiceCollection services, ServiceConfiguration configuration)
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
        services.AddSingleton(provider => new ShareMounter(
            options,
            new KernelMountSystem(),
            support,
            provider.GetRequiredService<ILoggerFactory>().CreateLogger("VirtualMedia.Shares")));
        services.AddSingleton<IShareMounter, KernelShares>();
        services.AddHostedService<ShareLifetime>();
        return services;
    }
}
