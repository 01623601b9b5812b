using System.Runtime.InteropServices;

namespace VirtualMedia.Service.Shares;

/// <summary>Turns a mount(2) or file errno into the errno Mount reports and a message a person can act on, naming the URL without credentials.</summary>
public static class ShareErrors
{
    /// <summary>The error for a failed mount of <paramref name="url"/> with <paramref name="protocol"/> (e.g. <c>SMB 3.1.1 sealed</c>).</summary>
    public static ShareMountException ForMount(ShareUrl url, int errno, string protocol)
    {
        ArgumentNullException.ThrowIfNull(url);
        var smb = url is SmbUrl;
        var what = smb ? $"share '{((SmbUrl)url).Share}'" : $"export directory '{((NfsUrl)url).Directory}'";
        var server = smb ? "SMB server" : "NFS server";
        var reported = errno;
        var text = errno switch
        {
            LinuxErrno.EACCES or LinuxErrno.EPERM or LinuxErrno.EKEYREJECTED or LinuxErrno.EKEYEXPIRED => smb
                ? "access denied: wrong user name or password, or this user may not use the share"
                : "access denied: the server does not export this directory to the BMC",
            LinuxErrno.ENOENT => $"the server has no {what}",
            LinuxErrno.ENXIO or LinuxErrno.EHOSTDOWN or LinuxErrno.EHOSTUNREACH or LinuxErrno.ENETUNREACH =>
                $"host {url.Host} is unreachable",
            LinuxErrno.ETIMEDOUT => $"no answer from host {url.Host}",
            LinuxErrno.ECONNREFUSED => $"host {url.Host} refused the connection: no {server} listens there",
            LinuxErrno.ECONNRESET => $"the {server} at {url.Host} closed the connection",
            LinuxErrno.EPROTONOSUPPORT or LinuxErrno.EOPNOTSUPP => $"the {server} at {url.Host} does not offer {protocol}",
            LinuxErrno.ENODEV => $"this kernel lacks the {(smb ? "CIFS/SMB" : "NFS")} client",
            LinuxErrno.EROFS => $"the {what} is read-only; mount the image read-only",
            LinuxErrno.EINVAL => $"the kernel or the server refused the {protocol} mount options",
            _ => $"{protocol} mount failed: {Describe(errno)}",
        };
        if (errno is LinuxErrno.EPERM or LinuxErrno.EKEYREJECTED or LinuxErrno.EKEYEXPIRED)
        {
            reported = LinuxErrno.EACCES;
        }
        else if (errno is LinuxErrno.EPROTONOSUPPORT or LinuxErrno.ENODEV)
        {
            reported = LinuxErrno.ENOTSUP;
        }

        return new ShareMountException(reported, $"cannot mount {url.Display}: {text}");
    }

    /// <summary>The error for an image file that is missing or unusable inside a mounted share.</summary>
    public static ShareMountException ForImage(ShareUrl url, int errno, bool readWrite)
    {
        ArgumentNullException.ThrowIfNull(url);
        var text = errno switch
        {
            LinuxErrno.ENOENT or LinuxErrno.ENOTDIR => "no such file on the share",
            LinuxErrno.EISDIR => "it is a directory, not an image file",
            LinuxErrno.EINVAL => "it is not a regular file",
            LinuxErrno.ELOOP => "it is a symbolic link, and links on a share are not followed",
            LinuxErrno.EACCES or LinuxErrno.EPERM => readWrite ? "no permission to read and write the file" : "no permission to read the file",
            LinuxErrno.EROFS => "the share is read-only; mount the image read-only",
            _ => Describe(errno),
        };
        var reported = errno switch
        {
            LinuxErrno.ENOTDIR => LinuxErrno.ENOENT,
            LinuxErrno.ELOOP => LinuxErrno.EINVAL,
            LinuxErrno.EPERM => LinuxErrno.EACCES,
            _ => errno,
        };
        return new ShareMountException(reported, $"cannot use {url.Display}: {text}");
    }

    private static string Describe(int errno) => $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";
}
