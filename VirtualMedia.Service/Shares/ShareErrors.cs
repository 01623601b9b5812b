using System.Runtime.InteropServices;
using VirtualMedia.Nbd;
using VirtualMedia.Service.Errors;
using VirtualMedia.Service.Urls;

namespace VirtualMedia.Service.Shares;

/// <summary>Turns a mount(2) or file errno into the errno Mount reports and a message a person can act on, naming the URL without credentials.</summary>
internal static class ShareErrors
{
    /// <summary>The error for a failed mount of <paramref name="url"/> with <paramref name="protocol"/> (e.g. <c>SMB 3.1.1 sealed</c>).</summary>
    public static MediaException ForMount(ShareUrl url, Errno errno, string protocol)
    {
        ArgumentNullException.ThrowIfNull(url);
        var smb = url is SmbUrl;
        var what = smb ? $"share '{((SmbUrl)url).Share}'" : $"export directory '{((NfsUrl)url).Directory}'";
        var server = smb ? "SMB server" : "NFS server";
        var reported = errno;
        var text = errno switch
        {
            Errno.EACCES or Errno.EPERM => smb
                ? "access denied: wrong user name or password, or this user may not use the share"
                : "access denied: the server does not export this directory to the BMC",
            Errno.ENOENT => $"the server has no {what}",
            Errno.ENXIO or Errno.EHOSTDOWN or Errno.EHOSTUNREACH or Errno.ENETUNREACH =>
                $"host {url.Host} is unreachable",
            Errno.ETIMEDOUT => $"no answer from host {url.Host}",
            Errno.ECONNREFUSED => $"host {url.Host} refused the connection: no {server} listens there",
            Errno.ECONNRESET => $"the {server} at {url.Host} closed the connection",
            Errno.EPROTONOSUPPORT or Errno.ENOTSUP => $"the {server} at {url.Host} does not offer {protocol}",
            Errno.ENODEV => $"this kernel lacks the {(smb ? "CIFS/SMB" : "NFS")} client",
            Errno.EROFS => $"the {what} is read-only; mount the image read-only",
            Errno.EINVAL => $"the kernel or the server refused the {protocol} mount options",
            _ => $"{protocol} mount failed: {Describe(errno)}",
        };
        if (errno is Errno.EPERM)
        {
            reported = Errno.EACCES;
        }
        else if (errno is Errno.EPROTONOSUPPORT or Errno.ENODEV)
        {
            reported = Errno.ENOTSUP;
        }

        return new MediaException(reported, $"cannot mount {url.Display}: {text}");
    }

    /// <summary>The error for an image file that is missing or unusable inside a mounted share.</summary>
    public static MediaException ForImage(ShareUrl url, Errno errno, bool readWrite)
    {
        ArgumentNullException.ThrowIfNull(url);
        var text = errno switch
        {
            Errno.ENOENT or Errno.ENOTDIR => "no such file on the share",
            Errno.EISDIR => "it is a directory, not an image file",
            Errno.EINVAL => "it is not a regular file",
            Errno.ELOOP => "it is a symbolic link, and links on a share are not followed",
            Errno.EACCES or Errno.EPERM => readWrite ? "no permission to read and write the file" : "no permission to read the file",
            Errno.EROFS => "the share is read-only; mount the image read-only",
            _ => Describe(errno),
        };
        var reported = errno switch
        {
            Errno.ENOTDIR => Errno.ENOENT,
            Errno.ELOOP => Errno.EINVAL,
            Errno.EPERM => Errno.EACCES,
            _ => errno,
        };
        return new MediaException(reported, $"cannot use {url.Display}: {text}");
    }

    private static string Describe(Errno errno) => $"{Marshal.GetPInvokeErrorMessage((int)errno)} (errno {(int)errno})";
}
