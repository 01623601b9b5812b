using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using VirtualMedia.Nbd;
using VirtualMedia.Service.Errors;
using VirtualMedia.Service.Urls;

namespace VirtualMedia.Service.Shares;

/// <summary>
/// Mounts the share of an <c>smb://</c> or <c>nfs://</c> image for a slot under
/// <c>&lt;Root&gt;/&lt;Slot&gt;/share</c> and always releases it again: on dispose of the
/// <see cref="MountedShare"/>, on any failure after the mount, at service stop
/// (<see cref="ReleaseAllAsync"/>) and at start for whatever a previous run left (<see cref="RemoveLeftovers"/>).
/// </summary>
internal sealed class ShareMounter
{
    /// <summary>Name of the mount directory inside a slot's directory.</summary>
    public const string MountDirectoryName = "share";

    // A path can carry stacked mounts; more than this many on one of ours is not a state we created.
    private const int MaxStackedMounts = 16;

    private const UnixFileMode PrivateDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private readonly ShareMounterOptions _options;
    private readonly IMountSystem _system;
    private readonly KernelShareSupport _support;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, MountedShare> _active = new(StringComparer.Ordinal);

    public ShareMounter(ShareMounterOptions options, IMountSystem system, KernelShareSupport support, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _system = system;
        _support = support;
        _logger = logger;
    }

    /// <summary>Mounts the share holding <paramref name="url"/>'s image and checks the image; throws <see cref="MediaException"/> with nothing left mounted.</summary>
    public async Task<MountedShare> MountAsync(string slot, ShareUrl url, ShareCredentials credentials, bool readWrite, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        ValidateSlot(slot);
        _support.Require(url);
        if (url is SmbUrl)
        {
            CifsMountOptions.SplitUser(credentials.User);
        }

        if (_active.ContainsKey(slot))
        {
            throw new MediaException(Errno.EBUSY, $"{slot} already has a share mounted");
        }

        var address = await ResolveAsync(url, cancellationToken);
        var mountPoint = PrepareMountPoint(slot);
        string protocol;
        try
        {
            protocol = await MountFirstWorkingAsync(slot, url, address, credentials, mountPoint, readWrite);
        }
        catch
        {
            RemoveDirectories(slot);
            throw;
        }

        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (errno, size) = await Task.Run(() => ImageFile.Probe(Path.Combine(mountPoint, url.PathInMount), readWrite), CancellationToken.None);
            if (errno != Errno.None)
            {
                throw ShareErrors.ForImage(url, errno, readWrite);
            }

            var share = new MountedShare(this, slot, url, mountPoint, protocol, readWrite, size);
            _active[slot] = share;
            _logger.LogInformation("{Slot}: mounted {Url} ({Protocol}, {Access})", slot, url.Display, protocol, readWrite ? "read-write" : "read-only");
            return share;
        }
        catch
        {
            await Task.Run(() => Release(slot, mountPoint), CancellationToken.None);
            throw;
        }
    }

    /// <summary>Unmounts everything mounted under <see cref="ShareMounterOptions.Root"/> (a previous run's leftovers), lazily when busy, and removes the empty mount directories.</summary>
    public void RemoveLeftovers()
    {
        var prefix = Path.TrimEndingDirectorySeparator(_options.Root) + "/";
        var leftovers = _system.MountPoints()
            .Where(point => point.StartsWith(prefix, StringComparison.Ordinal))
            .Distinct(StringComparer.Ordinal)
            .OrderByDescending(point => point.Count(c => c == '/'))
            .ToList();
        foreach (var point in leftovers)
        {
            _logger.LogWarning("removing a mount left by a previous run at {MountPoint}", point);
            ReleasePath(point);
        }

        if (!Directory.Exists(_options.Root))
        {
            return;
        }

        foreach (var slotDirectory in Directory.EnumerateDirectories(_options.Root))
        {
            RemoveDirectories(Path.GetFileName(slotDirectory));
        }
    }

    /// <summary>Releases every share still mounted (service stop).</summary>
    public async Task ReleaseAllAsync()
    {
        foreach (var share in _active.Values.ToList())
        {
            await share.DisposeAsync();
        }
    }

    /// <summary>Called once by <see cref="MountedShare.DisposeAsync"/>.</summary>
    internal Task ReleaseAsync(MountedShare share)
    {
        _active.TryRemove(new KeyValuePair<string, MountedShare>(share.Slot, share));
        return Task.Run(() =>
        {
            Release(share.Slot, share.MountPoint);
            _logger.LogInformation("{Slot}: unmounted {Url}", share.Slot, share.Url.Display);
        });
    }

    private static void ValidateSlot(string slot)
    {
        if (string.IsNullOrEmpty(slot) || slot is "." or ".." || !slot.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
        {
            throw new MediaException(Errno.EINVAL, "a slot name must be letters, digits, '_', '-' or '.'");
        }
    }

    // The kernel resolves no names on mount(2): the address goes into the options.
    private async Task<IPAddress> ResolveAsync(ShareUrl url, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(url.Host, out var literal))
        {
            return literal;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ResolveTimeout);
        try
        {
            var addresses = await Dns.GetHostAddressesAsync(url.Host, timeout.Token);
            return addresses.OrderBy(a => a.AddressFamily == AddressFamily.InterNetwork ? 0 : 1).First();
        }
        catch (Exception exception) when (exception is SocketException or InvalidOperationException
            || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new MediaException(Errno.EHOSTUNREACH, $"cannot mount {url.Display}: host name {url.Host} does not resolve");
        }
    }

    private async Task<string> MountFirstWorkingAsync(string slot, ShareUrl url, IPAddress address, ShareCredentials credentials, string mountPoint, bool readWrite)
    {
        var attempts = url switch
        {
            SmbUrl smb => CifsMountOptions.Attempts(smb, address, credentials),
            NfsUrl nfs => NfsMountOptions.Attempts(nfs, address),
            _ => throw new ArgumentException("unknown share URL type", nameof(url)),
        };
        var flags = MountRestrictions.NoSetUid | MountRestrictions.NoDevices | MountRestrictions.NoExecute | MountRestrictions.NoSymlinkFollow
            | (readWrite ? MountRestrictions.None : MountRestrictions.ReadOnly);
        var failures = new List<(Errno Errno, string Protocol)>();
        try
        {
            for (var index = 0; index >= 0 && index < attempts.Count; index = ShareFallback.Next(attempts, index, failures[^1].Errno))
            {
                var attempt = attempts[index];

                // mount(2) cannot be interrupted; the kernel's own timeouts bound it, so it is awaited even when the caller gives up.
                var errno = await Task.Run(() => _system.Mount(attempt.Source, mountPoint, attempt.FileSystemType, flags, attempt.Data), CancellationToken.None);
                if (errno == Errno.None)
                {
                    return attempt.Protocol;
                }

                _logger.LogDebug("{Slot}: {Protocol} mount of {Url} failed with errno {Errno}", slot, attempt.Protocol, url.Display, (int)errno);
                failures.Add((errno, attempt.Protocol));
            }
        }
        finally
        {
            foreach (var attempt in attempts)
            {
                attempt.Dispose();
            }
        }

        var (worst, protocol) = ShareFallback.MostTelling(failures);
        throw ShareErrors.ForMount(url, worst, protocol);
    }

    private string PrepareMountPoint(string slot)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("network shares are mounted with Linux system calls");
        }

        var slotDirectory = Path.Combine(_options.Root, slot);
        var mountPoint = Path.Combine(slotDirectory, MountDirectoryName);
        foreach (var directory in new[] { _options.Root, slotDirectory, mountPoint })
        {
            Directory.CreateDirectory(directory, PrivateDirectory);
            File.SetUnixFileMode(directory, PrivateDirectory);
        }

        // Anything still mounted here belongs to an earlier activation that did not finish its release.
        if (_system.MountPoints().Contains(mountPoint, StringComparer.Ordinal))
        {
            ReleasePath(mountPoint);
        }

        return mountPoint;
    }

    private void Release(string slot, string mountPoint)
    {
        ReleasePath(mountPoint);
        RemoveDirectories(slot);
    }

    private void ReleasePath(string mountPoint)
    {
        for (var i = 0; i < MaxStackedMounts; i++)
        {
            var errno = _system.Unmount(mountPoint, detach: false);
            if (errno == Errno.EBUSY)
            {
                _logger.LogWarning("{MountPoint} is still in use; detaching it lazily", mountPoint);
                errno = _system.Unmount(mountPoint, detach: true);
            }

            if (errno is Errno.EINVAL or Errno.ENOENT)
            {
                return;
            }

            if (errno != Errno.None)
            {
                _logger.LogError("cannot unmount {MountPoint}: errno {Errno}", mountPoint, (int)errno);
                return;
            }
        }
    }

    // Only empty directories are removed: never a recursive delete, which could reach into a mounted share.
    private void RemoveDirectories(string slot)
    {
        var slotDirectory = Path.Combine(_options.Root, slot);
        foreach (var directory in new[] { Path.Combine(slotDirectory, MountDirectoryName), slotDirectory })
        {
            try
            {
                Directory.Delete(directory, recursive: false);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                _logger.LogDebug("{Directory} kept: {Reason}", directory, exception.Message);
            }
        }
    }
}
