using System.Net;
using VirtualMedia.Service.Shares;
using VirtualMedia.Service.Urls;

namespace VirtualMedia.Tests.Shares;

public sealed class NfsMountOptionsTests
{
    [Test]
    public void Tries_nfs_4_2_4_1_4_0_soft_then_nfs_3_without_locking()
    {
        var attempts = NfsMountOptions.Attempts((NfsUrl)ShareUrl.Parse("nfs://server/export/dir/a.iso"), IPAddress.Parse("192.0.2.9"));

        attempts.Select(a => a.Protocol).Should().Equal("NFSv4.2", "NFSv4.1", "NFSv4.0", "NFSv3");
        attempts.Should().AllSatisfy(a =>
        {
            a.FileSystemType.Should().Be("nfs");
            a.Source.Should().Be("server:/export/dir");
        });
        attempts[0].Data.Redacted.Should().Be("vers=4.2,proto=tcp,addr=192.0.2.9,soft,timeo=50,retrans=2");
        attempts[3].Data.Redacted.Should().Be("vers=3,proto=tcp,addr=192.0.2.9,soft,timeo=50,retrans=2,nolock,mountproto=tcp");
        foreach (var attempt in attempts)
        {
            attempt.Dispose();
        }
    }

    [Test]
    public void A_port_and_an_ipv6_server_are_passed_on()
    {
        var attempts = NfsMountOptions.Attempts((NfsUrl)ShareUrl.Parse("nfs://[fd00::9]:2050/e/a.iso"), IPAddress.Parse("fd00::9"));

        attempts[0].Data.Redacted.Should().Be("vers=4.2,proto=tcp6,addr=fd00::9,port=2050,soft,timeo=50,retrans=2");
        attempts[3].Data.Redacted.Should().EndWith("nolock,mountproto=tcp6");
        attempts[0].Source.Should().Be("[fd00::9]:/e");
        foreach (var attempt in attempts)
        {
            attempt.Dispose();
        }
    }
}
