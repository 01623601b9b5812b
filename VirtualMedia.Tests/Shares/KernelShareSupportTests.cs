using VirtualMedia.Nbd;
using VirtualMedia.Service.Errors;
using VirtualMedia.Service.Shares;
using VirtualMedia.Service.Urls;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.Shares;

public sealed class KernelShareSupportTests
{
    [Test]
    public void A_registered_or_loadable_file_system_is_supported()
    {
        using var directory = new TempDirectory("shares-support");
        File.WriteAllText(directory.Combine("filesystems"), "nodev\tsysfs\n\text4\nnodev\tnfs\n");
        File.WriteAllText(directory.Combine("modules.alias"), "alias fs-cifs cifs\nalias fs-smb3 cifs\n");
        var support = new KernelShareSupport(directory.Combine("filesystems"), directory.Path);

        support.Has("nfs").Should().BeTrue();
        support.Has("cifs").Should().BeTrue();
        support.Has("nfs4").Should().BeFalse();
        support.Has("sysfs").Should().BeTrue();
    }

    [Test]
    public void A_missing_client_is_refused_with_enotsup_naming_the_client()
    {
        using var directory = new TempDirectory("shares-support");
        File.WriteAllText(directory.Combine("filesystems"), "nodev\tsysfs\n\text4\n");
        var support = new KernelShareSupport(directory.Combine("filesystems"), directory.Combine("no-modules"));

        var smb = FluentActions.Invoking(() => support.Require(ShareUrl.Parse("smb://h/s/a.iso"))).Should().Throw<MediaException>().Which;
        var nfs = FluentActions.Invoking(() => support.Require(ShareUrl.Parse("nfs://h/e/a.iso"))).Should().Throw<MediaException>().Which;

        smb.Errno.Should().Be(Errno.ENOTSUP);
        smb.Message.Should().Contain("smb://h/s/a.iso").And.Contain("kernel lacks the CIFS/SMB client");
        nfs.Errno.Should().Be(Errno.ENOTSUP);
        nfs.Message.Should().Contain("kernel lacks the NFS client");
    }
}
