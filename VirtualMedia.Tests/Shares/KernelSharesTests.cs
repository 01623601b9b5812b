using System.Runtime.Versioning;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using VirtualMedia.Nbd;
using VirtualMedia.Service.Credentials;
using VirtualMedia.Service.Errors;
using VirtualMedia.Service.Shares;
using VirtualMedia.Service.Urls;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.Shares;

/// <summary>The activation seam: the Mount's URL and secret in, the image file and its release out, errors as D-Bus errnos.</summary>
[SupportedOSPlatform("linux")]
public sealed class KernelSharesTests
{
    [Test]
    public async Task The_secret_reaches_the_mount_escaped_and_the_release_unmounts()
    {
        using var directory = new TempDirectory("kernel-shares");
        var (shares, table) = Build(directory);
        using var secret = MountSecret.Parse(Encoding.UTF8.GetBytes("CORP\\alice\0pa,ss\0"));

        var mount = await shares.MountAsync("Slot_2", ImageUrl.Parse("smb://127.0.0.1/isos/a.iso"), false, secret, CancellationToken.None);

        mount.ImageFile.Should().Be(Path.Combine(directory.Path, "run", "Slot_2", "share", "a.iso"));
        File.ReadAllText(mount.ImageFile).Should().Be("image");
        table.Calls.Should().ContainSingle().Which.Should().EndWith("username=alice,domain=CORP,password=pa,,ss");
        await mount.Release.DisposeAsync();
        table.Mounted.Should().BeEmpty();
    }

    [Test]
    public async Task Failures_are_dbus_errno_errors_naming_the_url()
    {
        using var directory = new TempDirectory("kernel-shares");
        var (shares, table) = Build(directory);
        table.MountErrors["4.2"] = Errno.EACCES;
        table.MountErrors["3"] = Errno.EACCES;

        var act = () => shares.MountAsync("Slot_3", ImageUrl.Parse("nfs://127.0.0.1/export/a.iso"), false, MountSecret.None, CancellationToken.None);

        var error = (await act.Should().ThrowAsync<MediaException>()).Which;
        error.Errno.Should().Be(Errno.EACCES);
        error.Message.Should().Contain("nfs://127.0.0.1/export/a.iso");
    }

    private static (KernelShares Shares, FakeMountTable Table) Build(TempDirectory directory)
    {
        File.WriteAllText(directory.Combine("filesystems"), "nodev\tcifs\nnodev\tnfs\n");
        var table = new FakeMountTable();
        table.ShareFiles["a.iso"] = "image";
        var mounter = new ShareMounter(
            new ShareMounterOptions { Root = directory.Combine("run") },
            table,
            new KernelShareSupport(directory.Combine("filesystems"), directory.Combine("modules")),
            NullLogger.Instance);
        return (new KernelShares(mounter), table);
    }
}
