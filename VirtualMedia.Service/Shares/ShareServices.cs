using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using VirtualMedia.Service.Activation;
using VirtualMedia.Service.Configuration;

namespace VirtualMedia.Service.Shares;

/// <summary>Registers <c>smb://</c> and <c>nfs://</c> support: the kernel share mounter behind <see cref="IShareMounter"/>, and its clean-up at start and stop.</summary>
public static class ShareServices
{
    /// <summary>Adds the share step; call before the service's own hosted service so that leftovers are gone before slots exist.</summary>
    public static IServiceCollection AddKernelShares(this IServiceCollection services, ServiceConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);

        // A sandboxed service keeps even its mount points inside the sandbox.
        var options = new ShareMounterOptions
        {
            Root = configuration.Sandbox is { } sandbox ? Path.Combine(sandbox, "run", "virtual-media") : new ShareMounterOptions().Root,
        };
        services.AddSingleton(provider => new ShareMounter(
            options,
            new KernelMountSystem(),
            new KernelShareSupport(),
            provider.GetRequiredService<ILoggerFactory>().CreateLogger("VirtualMedia.Shares")));
        services.AddSingleton<IShareMounter, KernelShares>();
        services.AddHostedService<ShareLifetime>();
        return services;
    }
}
