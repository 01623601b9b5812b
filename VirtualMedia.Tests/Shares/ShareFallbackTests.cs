using System.Net;
using VirtualMedia.Service.Shares;

namespace VirtualMedia.Tests.Shares;

public sealed class ShareFallbackTests
{
    private static readonly IReadOnlyList<MountAttempt> Smb =
        CifsMountOptions.Attempts((SmbUrl)ShareUrl.Parse("smb://h/s/a.iso"), IPAddress.Loopback, ShareCredentials.Guest);

    private static readonly IReadOnlyList<MountAttempt> Nfs =
        NfsMountOptions.Attempts((NfsUrl)ShareUrl.Parse("nfs://h/e/a.iso"), IPAddress.Loopback);

    [TestCase(LinuxErrno.EOPNOTSUPP, 1)]
    [TestCase(LinuxErrno.EIO, 1)]
    [TestCase(LinuxErrno.ECONNRESET, 1)]
    [TestCase(LinuxErrno.EACCES, -1)]
    [TestCase(LinuxErrno.ENOENT, -1)]
    [TestCase(LinuxErrno.ECONNREFUSED, -1)]
    [TestCase(LinuxErrno.ETIMEDOUT, -1)]
    [TestCase(LinuxErrno.EHOSTUNREACH, -1)]
    public void Smb_falls_back_to_3_0_only_when_the_version_may_be_the_problem(int errno, int next) =>
        ShareFallback.Next(Smb, 0, errno).Should().Be(next);

    [Test]
    public void Smb_stops_after_the_last_dialect() => ShareFallback.Next(Smb, 1, LinuxErrno.EOPNOTSUPP).Should().Be(-1);

    [TestCase(0, LinuxErrno.EPROTONOSUPPORT, 1)]
    [TestCase(1, LinuxErrno.EPROTONOSUPPORT, 2)]
    [TestCase(2, LinuxErrno.EPROTONOSUPPORT, 3)]
    [TestCase(0, LinuxErrno.ENOENT, 3)]
    [TestCase(0, LinuxErrno.EACCES, 3)]
    [TestCase(0, LinuxErrno.ECONNREFUSED, 3)]
    [TestCase(0, LinuxErrno.ETIMEDOUT, -1)]
    [TestCase(0, LinuxErrno.EHOSTUNREACH, -1)]
    [TestCase(3, LinuxErrno.ENOENT, -1)]
    public void Nfs_walks_down_v4_minor_versions_then_v3(int index, int errno, int next) =>
        ShareFallback.Next(Nfs, index, errno).Should().Be(next);

    [Test]
    public void The_reported_failure_is_the_most_telling_one()
    {
        ShareFallback.MostTelling([(LinuxErrno.EPROTONOSUPPORT, "NFSv4.2"), (LinuxErrno.ENOENT, "NFSv3")]).Should().Be((LinuxErrno.ENOENT, "NFSv3"));
        ShareFallback.MostTelling([(LinuxErrno.ENOENT, "NFSv4.2"), (LinuxErrno.ECONNREFUSED, "NFSv3")]).Should().Be((LinuxErrno.ENOENT, "NFSv4.2"));
        ShareFallback.MostTelling([(LinuxErrno.ECONNREFUSED, "NFSv4.2"), (LinuxErrno.ECONNREFUSED, "NFSv3")]).Should().Be((LinuxErrno.ECONNREFUSED, "NFSv4.2"));
    }
}
