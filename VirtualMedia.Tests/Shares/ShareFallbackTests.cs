using System.Net;
using VirtualMedia.Nbd;
using VirtualMedia.Service.Shares;
using VirtualMedia.Service.Urls;

namespace VirtualMedia.Tests.Shares;

public sealed class ShareFallbackTests
{
    private static readonly IReadOnlyList<MountAttempt> Smb =
        CifsMountOptions.Attempts((SmbUrl)ShareUrl.Parse("smb://h/s/a.iso"), IPAddress.Loopback, ShareCredentials.Guest);

    private static readonly IReadOnlyList<MountAttempt> Nfs =
        NfsMountOptions.Attempts((NfsUrl)ShareUrl.Parse("nfs://h/e/a.iso"), IPAddress.Loopback);

    [TestCase(Errno.ENOTSUP, 1)]
    [TestCase(Errno.EIO, 1)]
    [TestCase(Errno.ECONNRESET, 1)]
    [TestCase(Errno.EACCES, -1)]
    [TestCase(Errno.ENOENT, -1)]
    [TestCase(Errno.ECONNREFUSED, -1)]
    [TestCase(Errno.ETIMEDOUT, -1)]
    [TestCase(Errno.EHOSTUNREACH, -1)]
    public void Smb_falls_back_to_3_0_only_when_the_version_may_be_the_problem(Errno errno, int next) =>
        ShareFallback.Next(Smb, 0, errno).Should().Be(next);

    [Test]
    public void Smb_stops_after_the_last_dialect() => ShareFallback.Next(Smb, 1, Errno.ENOTSUP).Should().Be(-1);

    [TestCase(0, Errno.EPROTONOSUPPORT, 1)]
    [TestCase(1, Errno.EPROTONOSUPPORT, 2)]
    [TestCase(2, Errno.EPROTONOSUPPORT, 3)]
    [TestCase(0, Errno.ENOENT, 3)]
    [TestCase(0, Errno.EACCES, 3)]
    [TestCase(0, Errno.ECONNREFUSED, 3)]
    [TestCase(0, Errno.ETIMEDOUT, -1)]
    [TestCase(0, Errno.EHOSTUNREACH, -1)]
    [TestCase(3, Errno.ENOENT, -1)]
    public void Nfs_walks_down_v4_minor_versions_then_v3(int index, Errno errno, int next) =>
        ShareFallback.Next(Nfs, index, errno).Should().Be(next);

    [Test]
    public void The_reported_failure_is_the_most_telling_one()
    {
        ShareFallback.MostTelling([(Errno.EPROTONOSUPPORT, "NFSv4.2"), (Errno.ENOENT, "NFSv3")]).Should().Be((Errno.ENOENT, "NFSv3"));
        ShareFallback.MostTelling([(Errno.ENOENT, "NFSv4.2"), (Errno.ECONNREFUSED, "NFSv3")]).Should().Be((Errno.ENOENT, "NFSv4.2"));
        ShareFallback.MostTelling([(Errno.ECONNREFUSED, "NFSv4.2"), (Errno.ECONNREFUSED, "NFSv3")]).Should().Be((Errno.ECONNREFUSED, "NFSv4.2"));
    }
}
