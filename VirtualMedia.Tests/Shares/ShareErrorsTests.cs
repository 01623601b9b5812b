using VirtualMedia.Nbd;
using VirtualMedia.Service.Shares;
using VirtualMedia.Service.Urls;

namespace VirtualMedia.Tests.Shares;

public sealed class ShareErrorsTests
{
    private static readonly ShareUrl Smb = ShareUrl.Parse("smb://files/isos/a.iso");
    private static readonly ShareUrl Nfs = ShareUrl.Parse("nfs://files/srv/a.iso");

    [TestCase(Errno.EACCES, Errno.EACCES, "wrong user name or password")]
    [TestCase(Errno.EPERM, Errno.EACCES, "wrong user name or password")]
    [TestCase(Errno.ENOENT, Errno.ENOENT, "no share 'isos'")]
    [TestCase(Errno.EHOSTUNREACH, Errno.EHOSTUNREACH, "host files is unreachable")]
    [TestCase(Errno.EHOSTDOWN, Errno.EHOSTDOWN, "unreachable")]
    [TestCase(Errno.ETIMEDOUT, Errno.ETIMEDOUT, "no answer from host files")]
    [TestCase(Errno.ECONNREFUSED, Errno.ECONNREFUSED, "no SMB server listens")]
    [TestCase(Errno.ENOTSUP, Errno.ENOTSUP, "does not offer SMB 3.0 sealed")]
    [TestCase(Errno.ENODEV, Errno.ENOTSUP, "kernel lacks the CIFS/SMB client")]
    [TestCase(Errno.EINVAL, Errno.EINVAL, "refused the SMB 3.0 sealed mount options")]
    [TestCase(Errno.EIO, Errno.EIO, "errno 5")]
    public void Smb_mount_errors_map_to_an_errno_and_a_message_naming_the_url(Errno errno, Errno expected, string text)
    {
        var error = ShareErrors.ForMount(Smb, errno, "SMB 3.0 sealed");

        error.Errno.Should().Be(expected);
        error.Message.Should().StartWith("cannot mount smb://files/isos/a.iso: ").And.Contain(text);
    }

    [TestCase(Errno.ENOENT, "no export directory '/srv'")]
    [TestCase(Errno.EACCES, "does not export this directory to the BMC")]
    [TestCase(Errno.ECONNREFUSED, "no NFS server listens")]
    [TestCase(Errno.EPROTONOSUPPORT, "does not offer NFSv3")]
    public void Nfs_mount_errors_speak_of_exports(Errno errno, string text) =>
        ShareErrors.ForMount(Nfs, errno, "NFSv3").Message.Should().Contain(text);

    [TestCase(Errno.ENOENT, false, Errno.ENOENT, "no such file")]
    [TestCase(Errno.ENOTDIR, false, Errno.ENOENT, "no such file")]
    [TestCase(Errno.EISDIR, false, Errno.EISDIR, "directory")]
    [TestCase(Errno.EINVAL, false, Errno.EINVAL, "not a regular file")]
    [TestCase(Errno.ELOOP, false, Errno.EINVAL, "symbolic link")]
    [TestCase(Errno.EACCES, false, Errno.EACCES, "no permission to read the file")]
    [TestCase(Errno.EACCES, true, Errno.EACCES, "read and write")]
    [TestCase(Errno.EROFS, true, Errno.EROFS, "read-only")]
    public void Image_errors_name_the_url_and_the_problem(Errno errno, bool readWrite, Errno expected, string text)
    {
        var error = ShareErrors.ForImage(Smb, errno, readWrite);

        error.Errno.Should().Be(expected);
        error.Message.Should().StartWith("cannot use smb://files/isos/a.iso: ").And.Contain(text);
    }
}
