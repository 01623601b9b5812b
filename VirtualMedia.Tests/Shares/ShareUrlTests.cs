using VirtualMedia.Nbd;
using VirtualMedia.Service.Errors;
using VirtualMedia.Service.Urls;

namespace VirtualMedia.Tests.Shares;

public sealed class ShareUrlTests
{
    [Test]
    public void Smb_url_splits_host_port_share_and_path()
    {
        var url = ShareUrl.Parse("SMB://files.example.com:4445/isos/linux/debian%2012.iso").Should().BeOfType<SmbUrl>().Subject;

        url.Host.Should().Be("files.example.com");
        url.Port.Should().Be(4445);
        url.Share.Should().Be("isos");
        url.PathInMount.Should().Be("linux/debian 12.iso");
        url.MountSource.Should().Be("//files.example.com/isos");
        url.FileSystemType.Should().Be("cifs");
        url.Display.Should().Be("smb://files.example.com:4445/isos/linux/debian%2012.iso");
    }

    [Test]
    public void Cifs_is_another_spelling_of_smb() =>
        ShareUrl.Parse("cifs://h/s/a.iso").Should().BeOfType<SmbUrl>().Which.Display.Should().Be("smb://h/s/a.iso");

    [Test]
    public void Nfs_url_mounts_the_directory_holding_the_image()
    {
        var url = ShareUrl.Parse("nfs://10.0.0.5/srv/export/images/boot.img").Should().BeOfType<NfsUrl>().Subject;

        url.Host.Should().Be("10.0.0.5");
        url.Port.Should().BeNull();
        url.Directory.Should().Be("/srv/export/images");
        url.MountSource.Should().Be("10.0.0.5:/srv/export/images");
        url.PathInMount.Should().Be("boot.img");
        url.FileSystemType.Should().Be("nfs");
    }

    [Test]
    public void Nfs_image_at_the_server_root_mounts_the_root()
    {
        var url = (NfsUrl)ShareUrl.Parse("nfs://server/boot.iso");

        url.Directory.Should().Be("/");
        url.MountSource.Should().Be("server:/");
    }

    [Test]
    public void Ipv6_hosts_lose_their_brackets_but_keep_them_in_nfs_sources()
    {
        var nfs = (NfsUrl)ShareUrl.Parse("nfs://[fd00::1]:2049/export/a.iso");
        var smb = (SmbUrl)ShareUrl.Parse("smb://[fd00::1]/share/a.iso");

        nfs.Host.Should().Be("fd00::1");
        nfs.Port.Should().Be(2049);
        nfs.MountSource.Should().Be("[fd00::1]:/export");
        nfs.Display.Should().Be("nfs://[fd00::1]:2049/export/a.iso");
        smb.MountSource.Should().Be("//fd00::1/share");
    }

    [TestCase("smb://user:secret@host/share/a.iso", "credentials")]
    [TestCase("smb://host/share/a.iso?x=1", "query")]
    [TestCase("nfs://host/export/a.iso#frag", "query")]
    [TestCase("smb://host/share/../etc/shadow", "'..'")]
    [TestCase("smb://host/share/./a.iso", "'..'")]
    [TestCase("smb://host/share//a.iso", "empty")]
    [TestCase("smb://host/share/dir/", "empty")]
    [TestCase("smb://host/share/a%2F..%2Fb.iso", "slash")]
    [TestCase("smb://host/share/a%5Cb.iso", "backslash")]
    [TestCase("smb://host/share/a%00.iso", "control")]
    [TestCase("smb://host/share", "needs a share and the path")]
    [TestCase("smb://host/", "needs a share")]
    [TestCase("nfs://host", "needs the path")]
    [TestCase("smb://host:0/share/a.iso", "port")]
    [TestCase("smb://host:65536/share/a.iso", "port")]
    [TestCase("smb://host:x/share/a.iso", "port")]
    [TestCase("smb://[fd00::1/share/a.iso", "IPv6")]
    [TestCase("smb://[hostname]/share/a.iso", "IPv6")]
    [TestCase("smb://ho st/share/a.iso", "host name")]
    [TestCase("smb:///share/a.iso", "host name")]
    [TestCase("smb://host/share/a%zz.iso", "percent")]
    [TestCase("https://host/a.iso", "smb:// or nfs://")]
    [TestCase("smb:host/share/a.iso", "smb:// or nfs://")]
    public void Malformed_urls_are_refused_with_einval_and_no_url_text(string text, string reason)
    {
        var act = () => ShareUrl.Parse(text);

        var error = act.Should().Throw<MediaException>().Which;
        error.Errno.Should().Be(Errno.EINVAL);
        error.Message.Should().Contain(reason);
        error.Message.Should().NotContain("secret").And.NotContain("shadow");
    }
}
