using System.Text;
using VirtualMedia.Nbd;
using VirtualMedia.Service.Shares;

namespace VirtualMedia.Tests.Shares;

/// <summary>A fake kernel mount table for the clean-up logic of <see cref="ShareMounter"/>; the VM tier tests it against the real kernel.</summary>
/// <remarks>A "mount" writes the share's files into the target directory; an unmount deletes them again, as the real mount would hide them.</remarks>
internal sealed class FakeMountTable : IMountSystem
{
    private readonly List<string> _mounted = [];

    /// <summary>Errno a mount returns, by the protocol version in its options (<c>vers=3.1.1</c> → key <c>3.1.1</c>); 0 when absent.</summary>
    public Dictionary<string, Errno> MountErrors { get; } = [];

    /// <summary>Files (relative path → content) a successful mount makes appear; a trailing '/' makes a directory.</summary>
    public Dictionary<string, string> ShareFiles { get; } = [];

    /// <summary>Mount points whose plain unmount fails with EBUSY.</summary>
    public HashSet<string> Busy { get; } = [];

    /// <summary>Every call, in order, with the options text (password included: the fake is where a test can see it).</summary>
    public List<string> Calls { get; } = [];

    /// <summary>The option buffers handed to mount(2), to check that they were wiped afterwards.</summary>
    public List<MountData> Buffers { get; } = [];

    public IReadOnlyList<string> Mounted => _mounted;

    public void AddExisting(string mountPoint) => _mounted.Add(mountPoint);

    public Errno Mount(string source, string target, string fileSystemType, MountRestrictions flags, MountData data)
    {
        var options = Encoding.UTF8.GetString(data.Bytes);
        Calls.Add($"mount {fileSystemType} {source} {target} {flags} {options}");
        Buffers.Add(data);
        var version = options.Split(',').First(o => o.StartsWith("vers=", StringComparison.Ordinal))["vers=".Length..];
        if (MountErrors.TryGetValue(version, out var errno) && errno != Errno.None)
        {
            return errno;
        }

        _mounted.Add(target);
        foreach (var (path, content) in ShareFiles)
        {
            var full = Path.Combine(target, path);
            if (path.EndsWith('/'))
            {
                Directory.CreateDirectory(full);
            }
            else
            {
                Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                File.WriteAllText(full, content);
            }
        }

        return Errno.None;
    }

    public Errno Unmount(string target, bool detach)
    {
        Calls.Add(detach ? $"umount -l {target}" : $"umount {target}");
        var index = _mounted.LastIndexOf(target);
        if (index < 0)
        {
            return Errno.EINVAL;
        }

        if (!detach && Busy.Contains(target))
        {
            return Errno.EBUSY;
        }

        _mounted.RemoveAt(index);
        if (Directory.Exists(target))
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries(target))
            {
                if (Directory.Exists(entry))
                {
                    Directory.Delete(entry, recursive: true);
                }
                else
                {
                    File.Delete(entry);
                }
            }
        }

        return Errno.None;
    }

    public IReadOnlyList<string> MountPoints() => _mounted.ToList();
}
