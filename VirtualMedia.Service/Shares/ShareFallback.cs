using VirtualMedia.Nbd;

namespace VirtualMedia.Service.Shares;

/// <summary>Which mount attempt comes after a failure, and which failure to report when all failed.</summary>
/// <remarks>
/// A wrong password or an unreachable host is the same in every protocol version: retrying would
/// only double the wait (and the failed log-ins an account lock-out counts), so those end the
/// search. An NFSv4 failure other than "version not offered" goes straight to NFSv3, whose
/// paths and permissions can differ from NFSv4's pseudo file system.
/// </remarks>
internal static class ShareFallback
{
    /// <summary>The index of the next attempt after <paramref name="index"/> failed with <paramref name="errno"/>, or -1 to stop.</summary>
    public static int Next(IReadOnlyList<MountAttempt> attempts, int index, Errno errno)
    {
        ArgumentNullException.ThrowIfNull(attempts);
        if (errno is Errno.ETIMEDOUT or Errno.EHOSTUNREACH or Errno.ENETUNREACH or Errno.EHOSTDOWN or Errno.ENXIO or Errno.ENODEV)
        {
            return -1;
        }

        if (attempts[index].FileSystemType == "cifs")
        {
            var sameEverywhere = errno is Errno.EACCES or Errno.EPERM
                or Errno.ENOENT or Errno.ECONNREFUSED;
            return sameEverywhere || index + 1 >= attempts.Count ? -1 : index + 1;
        }

        if (errno == Errno.EPROTONOSUPPORT || attempts[index].Protocol == "NFSv3")
        {
            return index + 1 < attempts.Count ? index + 1 : -1;
        }

        var v3 = attempts.Select((attempt, i) => (attempt, i)).FirstOrDefault(x => x.attempt.Protocol == "NFSv3" && x.i > index);
        return v3.attempt is null ? -1 : v3.i;
    }

    /// <summary>The failure that tells the user most: "version not offered" or "refused" only when nothing better was seen.</summary>
    public static (Errno Errno, string Protocol) MostTelling(IReadOnlyList<(Errno Errno, string Protocol)> failures)
    {
        ArgumentNullException.ThrowIfNull(failures);
        if (failures.Count == 0)
        {
            return (Errno.EIO, "mount");
        }

        return failures.FirstOrDefault(f => f.Errno is not (Errno.EPROTONOSUPPORT or Errno.ENOTSUP or Errno.ECONNREFUSED), failures[0]);
    }
}
