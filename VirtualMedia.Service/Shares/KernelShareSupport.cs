using VirtualMedia.Nbd;
using VirtualMedia.Service.Errors;
using VirtualMedia.Service.Urls;

namespace VirtualMedia.Service.Shares;

/// <summary>Whether the running kernel has the CIFS or NFS client, built in, loaded or loadable as a module.</summary>
/// <remarks>
/// Checked before anything else so that a kernel without the client (this project's sandbox, a
/// BMC image built without it) gets a clear ENOTSUP instead of a mount error later.
/// </remarks>
internal sealed class KernelShareSupport
{
    private readonly string _procFileSystems;
    private readonly string _modulesDirectory;

    /// <summary>Reads the running kernel's /proc/filesystems and /lib/modules/&lt;release&gt;/modules.alias.</summary>
    public KernelShareSupport()
        : this("/proc/filesystems", Path.Combine("/lib/modules", ReadRelease()))
    {
    }

    /// <summary>Reads the given files instead (tests).</summary>
    public KernelShareSupport(string procFileSystems, string modulesDirectory)
    {
        _procFileSystems = procFileSystems;
        _modulesDirectory = modulesDirectory;
    }

    /// <summary>True when <paramref name="fileSystemType"/> is registered or its module can be loaded on demand.</summary>
    public bool Has(string fileSystemType) => IsRegistered(fileSystemType) || IsLoadable(fileSystemType);

    /// <summary>Throws ENOTSUP naming the missing client when the kernel cannot mount <paramref name="url"/>.</summary>
    public void Require(ShareUrl url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!Has(url.FileSystemType))
        {
            var client = url is SmbUrl ? "CIFS/SMB" : "NFS";
            throw new MediaException(
                Errno.ENOTSUP,
                $"cannot mount {url.Display}: this kernel lacks the {client} client ('{url.FileSystemType}' is neither in {_procFileSystems} nor a loadable module)");
        }
    }

    private static string ReadRelease()
    {
        try
        {
            return File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private bool IsRegistered(string fileSystemType)
    {
        try
        {
            return File.ReadLines(_procFileSystems)
                .Select(line => line.Split('\t', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                .Any(fields => fields.Length > 0 && fields[^1] == fileSystemType);
        }
        catch (IOException)
        {
            return false;
        }
    }

    private bool IsLoadable(string fileSystemType)
    {
        // The kernel asks modprobe for "fs-<type>" when a mount names an unregistered type.
        var alias = $"alias fs-{fileSystemType} ";
        try
        {
            var aliases = Path.Combine(_modulesDirectory, "modules.alias");
            return File.Exists(aliases) && File.ReadLines(aliases).Any(line => line.StartsWith(alias, StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
