using VirtualMedia.Service.Shares;

namespace VirtualMedia.Tests.Shares;

public sealed class ShareErrorsTests
{
    private static readonly ShareUrl Smb = ShareUrl.Parse("smb://files/isos/a.iso");
    private static readonly ShareUrl Nfs = ShareUrl.Parse("nfs://files/srv/a.iso");

    [TestCase(LinuxErrno.EACCES, LinuxErrno.EACCES, "wrong user name or password")]
    [TestCase(LinuxErrno.EPERM, LinuxErrno.EACCES, "wrong user name or password")]
    [TestCase(LinuxErrno.EKEYREJECTED, LinuxErrno.EACCES, "access denied")]
    [TestCase(LinuxErrno.ENOENT, LinuxErrno.ENOENT, "no share 'isos'")]
    [TestCase(LinuxErrno.EHOSTUNREACH, LinuxErrno.EHOSTUNREACH, "host files is unreachable")]
    [TestCase(LinuxErrno.EHOSTDOWN, LinuxErrno.EHOSTDOWN, "unreachable")]
    [TestCase(LinuxErrno.ETIMEDOUT, LinuxErrno.ETIMEDOUT, "no answer from host files")]
    [TestCase(LinuxErrno.ECONNREFUSED, LinuxErrno.ECONNREFUSED, "no SMB server listens")]
    [TestCase(LinuxErrno.EOPNOTSUPP, LinuxErrno.ENOTSUP, "does not offer SMB 3.0 sealed")]
    [TestCase(LinuxErrno.ENODEV, LinuxErrno.ENOTSUP, "kernel lacks the CIFS/SMB client")]
    [TestCase(LinuxErrno.EINVAL, LinuxErrno.EINVAL, "refused the SMB 3.0 sealed mount options")]
    [TestCase(LinuxErrno.EIO, LinuxErrno.EIO, "errno 5")]
    public void Smb_mount_errors_map_to_an_errno_and_a_message_naming_the_url(int errno, int expected, string text)
    {
        var error = ShareErrors.ForMount(Smb, errno, "SMB 3.0 sealed");

        error.Errno.Should().Be(expected);
        error.Message.Should().StartWith("cannot mount smb://files/isos/a.iso: ").And.Contain(text);
    }

    [TestCase(LinuxErrno.ENOENT, "no export directory '/srv'")]
    [TestCase(LinuxErrno.EACCES, "does not export this directory to the BMC")]
    [TestCase(LinuxErrno.ECONNREFUSED, "no NFS server listens")]
    [TestCase(LinuxErrno.EPROTONOSUPPORT, "does not offer NFSv3")]
    public void Nfs_mount_errors_speak_of_exports(int errno, string text) =>
        ShareErrors.ForMount(Nfs, errno, "NFSv3").Message.Should().Contain(text);

    [TestCase(LinuxErrno.ENOENT, false, LinuxErrno.ENOENT, "no such file")]
    [TestCase(LinuxErrno.ENOTDIR, false, LinuxErrno.ENOENT, "no such file")]
    [TestCase(LinuxErrno.EISDIR, false, LinuxErrno.EISDIR, "directory")]
    [TestCase(LinuxErrno.EINVAL, false, LinuxErrno.EINVAL, "not a regular file")]
    [TestCase(LinuxErrno.ELOOP, false, LinuxErrno.EINVAL, "symbolic link")]
    [TestCase(LinuxErrno.EACCES, false, LinuxErrno.EACCES, "no permission to read the file")]
    [TestCase(LinuxErrno.EACCES, true, LinuxErrno.EACCES, "read and write")]
    [TestCase(LinuxErrno.EROFS, true, LinuxErrno.EROFS, "read-only")]
    public void Image_errors_name_the_url_and_the_problem(int errno, bool readWrite, int expected, string text)
    {
        var error = ShareErrors.ForImage(Smb, errno, readWrite);

        error.Errno.Should().Be(expected);
        error.Message.Should().StartWith("cannot use smb://files/isos/a.iso: ").And.Contain(text);
    }
}
