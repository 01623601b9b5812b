using System.Runtime.Versioning;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using VirtualMedia.Nbd;
using VirtualMedia.Service.Errors;
using VirtualMedia.Service.Shares;
using VirtualMedia.Service.Urls;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.Shares;

/// <summary>The mounter's sequencing and clean-up on a fake mount table; real mounts are the kernel VM tier's.</summary>
[SupportedOSPlatform("linux")]
public sealed class ShareMounterTests
{
    private const MountRestrictions Hardened =
        MountRestrictions.NoSetUid | MountRestrictions.NoDevices | MountRestrictions.NoExecute | MountRestrictions.NoSymlinkFollow;

    private TempDirectory _directory = null!;
    private FakeMountTable _table = null!;
    private ShareMounter _mounter = null!;
    private string _root = null!;

    [SetUp]
    public void SetUp()
    {
        _directory = new TempDirectory("shares-mounter");
        _root = _directory.Combine("run");
        File.WriteAllText(_directory.Combine("filesystems"), "nodev\tcifs\nnodev\tnfs\n");
        _table = new FakeMountTable();
        _table.ShareFiles["images/a.iso"] = "image bytes";
        _table.ShareFiles["a.iso"] = "image bytes";
        _mounter = new ShareMounter(
            new ShareMounterOptions { Root = _root },
            _table,
            new KernelShareSupport(_directory.Combine("filesystems"), _directory.Combine("modules")),
            NullLogger.Instance);
    }

    [TearDown]
    public void TearDown() => _directory.Dispose();

    [Test]
    public async Task A_share_is_mounted_read_only_in_a_private_directory_and_released_on_dispose()
    {
        var share = await _mounter.MountAsync("Slot_2", Smb("images/a.iso"), Credentials("alice", "pa,ss"), readWrite: false, CancellationToken.None);

        var mountPoint = Path.Combine(_root, "Slot_2", "share");
        share.MountPoint.Should().Be(mountPoint);
        share.ImagePath.Should().Be(Path.Combine(mountPoint, "images", "a.iso"));
        share.Protocol.Should().Be("SMB 3.1.1 sealed");
        share.Size.Should().Be("image bytes".Length);
        share.ReadWrite.Should().BeFalse();
        _table.Calls.Should().ContainSingle().Which.Should().Be(
            $"mount cifs //127.0.0.1/isos {mountPoint} ReadOnly, {Hardened} "
            + "vers=3.1.1,ip=127.0.0.1,uid=0,gid=0,file_mode=0600,dir_mode=0700,seal,username=alice,password=pa,,ss");
        foreach (var directory in new[] { _root, Path.Combine(_root, "Slot_2"), mountPoint })
        {
            File.GetUnixFileMode(directory).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        await share.DisposeAsync();
        await share.DisposeAsync();

        share.IsReleased.Should().BeTrue();
        _table.Mounted.Should().BeEmpty();
        _table.Calls.Should().HaveCount(3).And.EndWith($"umount {mountPoint}");
        Directory.Exists(Path.Combine(_root, "Slot_2")).Should().BeFalse();
    }

    [Test]
    public async Task The_option_buffers_are_wiped_once_the_mount_returns()
    {
        _table.MountErrors["3.1.1"] = Errno.ENOTSUP;

        var share = await _mounter.MountAsync("Slot_2", Smb("images/a.iso"), Credentials("alice", "secret"), readWrite: false, CancellationToken.None);

        share.Protocol.Should().Be("SMB 3.0 sealed");
        _table.Buffers.Should().HaveCount(2).And.AllSatisfy(buffer => buffer.Bytes.Length.Should().Be(0));
        await share.DisposeAsync();
    }

    [Test]
    public async Task A_wrong_password_is_tried_once_and_leaves_nothing_behind()
    {
        _table.MountErrors["3.1.1"] = Errno.EACCES;

        var act = () => _mounter.MountAsync("Slot_2", Smb("images/a.iso"), Credentials("alice", "bad"), readWrite: false, CancellationToken.None);

        var error = (await act.Should().ThrowAsync<MediaException>()).Which;
        error.Errno.Should().Be(Errno.EACCES);
        error.Message.Should().Contain("smb://127.0.0.1/isos/images/a.iso").And.NotContain("bad").And.NotContain("alice");
        _table.Calls.Should().ContainSingle();
        Directory.Exists(Path.Combine(_root, "Slot_2")).Should().BeFalse();
    }

    [TestCase("images/missing.iso", Errno.ENOENT)]
    [TestCase("images", Errno.EISDIR)]
    [TestCase("images/a.iso/x", Errno.ENOENT)]
    public async Task A_bad_image_path_after_a_good_mount_unmounts_again(string path, Errno errno)
    {
        var act = () => _mounter.MountAsync("Slot_3", Nfs("export/" + path), ShareCredentials.Guest, readWrite: false, CancellationToken.None);

        (await act.Should().ThrowAsync<MediaException>()).Which.Errno.Should().Be(errno);
        _table.Mounted.Should().BeEmpty();
        _table.Calls.Should().HaveCount(3).And.Contain(call => call.StartsWith("umount ", StringComparison.Ordinal));
        Directory.Exists(Path.Combine(_root, "Slot_3")).Should().BeFalse();
    }

    [Test]
    public async Task Nfs_falls_back_to_v3_and_read_write_drops_the_read_only_flag()
    {
        _table.MountErrors["4.2"] = Errno.ENOENT;

        var share = await _mounter.MountAsync("Slot_3", Nfs("export/images/a.iso"), ShareCredentials.Guest, readWrite: true, CancellationToken.None);

        share.Protocol.Should().Be("NFSv3");
        share.ReadWrite.Should().BeTrue();
        _table.Calls.Should().HaveCount(2);
        _table.Calls[1].Should().StartWith($"mount nfs 127.0.0.1:/export/images {share.MountPoint} {Hardened} vers=3,");
        await share.DisposeAsync();
    }

    [Test]
    public async Task A_busy_share_is_detached_lazily_on_release()
    {
        var share = await _mounter.MountAsync("Slot_2", Smb("images/a.iso"), ShareCredentials.Guest, readWrite: false, CancellationToken.None);
        _table.Busy.Add(share.MountPoint);

        await share.DisposeAsync();

        _table.Calls.Should().EndWith([$"umount {share.MountPoint}", $"umount -l {share.MountPoint}", $"umount {share.MountPoint}"]);
        _table.Mounted.Should().BeEmpty();
    }

    [Test]
    public async Task Stop_releases_every_active_share()
    {
        var first = await _mounter.MountAsync("Slot_2", Smb("images/a.iso"), ShareCredentials.Guest, readWrite: false, CancellationToken.None);
        var second = await _mounter.MountAsync("Slot_3", Nfs("export/images/a.iso"), ShareCredentials.Guest, readWrite: false, CancellationToken.None);

        await _mounter.ReleaseAllAsync();

        first.IsReleased.Should().BeTrue();
        second.IsReleased.Should().BeTrue();
        _table.Mounted.Should().BeEmpty();
    }

    [Test]
    public async Task A_second_mount_on_a_busy_slot_is_refused_and_bad_slot_names_are_invalid()
    {
        var share = await _mounter.MountAsync("Slot_2", Smb("images/a.iso"), ShareCredentials.Guest, readWrite: false, CancellationToken.None);

        var again = () => _mounter.MountAsync("Slot_2", Smb("images/a.iso"), ShareCredentials.Guest, readWrite: false, CancellationToken.None);
        var escape = () => _mounter.MountAsync("../etc", Smb("images/a.iso"), ShareCredentials.Guest, readWrite: false, CancellationToken.None);

        (await again.Should().ThrowAsync<MediaException>()).Which.Errno.Should().Be(Errno.EBUSY);
        (await escape.Should().ThrowAsync<MediaException>()).Which.Errno.Should().Be(Errno.EINVAL);
        await share.DisposeAsync();
    }

    [Test]
    public void Leftovers_under_the_root_are_unmounted_deepest_first_and_busy_ones_lazily()
    {
        var slot1 = Path.Combine(_root, "Slot_1", "share");
        var slot2 = Path.Combine(_root, "Slot_2", "share");
        foreach (var directory in new[] { slot1, slot2, Path.Combine(_root, "Slot_0") })
        {
            Directory.CreateDirectory(directory);
        }

        File.WriteAllText(Path.Combine(_root, "Slot_0", "keep.sock"), string.Empty);
        _table.AddExisting("/");
        _table.AddExisting(_root + "-other/share");
        _table.AddExisting(slot1);
        _table.AddExisting(slot1 + "/nested");
        _table.AddExisting(slot2);
        _table.AddExisting(slot2);
        _table.Busy.Add(slot2);

        _mounter.RemoveLeftovers();

        _table.Mounted.Should().Equal("/", _root + "-other/share");
        _table.Calls.Should().StartWith($"umount {slot1}/nested");
        _table.Calls.Should().Contain($"umount -l {slot2}");
        Directory.Exists(Path.Combine(_root, "Slot_1")).Should().BeFalse();
        Directory.Exists(Path.Combine(_root, "Slot_2")).Should().BeFalse();
        File.Exists(Path.Combine(_root, "Slot_0", "keep.sock")).Should().BeTrue();
    }

    [Test]
    public async Task In_this_sandbox_the_real_kernel_refuses_shares_with_enotsup_and_touches_nothing()
    {
        var support = new KernelShareSupport();
        if (support.Has("cifs") && support.Has("nfs"))
        {
            Require.Unsupported("this kernel has CIFS and NFS clients", "the kernel VM tier mounts real shares");
        }

        var mounter = new ShareMounter(new ShareMounterOptions { Root = _root }, new KernelMountSystem(), support, NullLogger.Instance);
        var url = support.Has("cifs") ? Nfs("export/a.iso") : Smb("a.iso");

        var act = () => mounter.MountAsync("Slot_2", url, ShareCredentials.Guest, readWrite: false, CancellationToken.None);

        var error = (await act.Should().ThrowAsync<MediaException>()).Which;
        error.Errno.Should().Be(Errno.ENOTSUP);
        error.Message.Should().Contain("kernel lacks the").And.Contain(url.Display);
        Directory.Exists(_root).Should().BeFalse();
    }

    private static ShareUrl Smb(string path) => ShareUrl.Parse("smb://127.0.0.1/isos/" + path);

    private static ShareUrl Nfs(string path) => ShareUrl.Parse("nfs://127.0.0.1/" + path);

    private static ShareCredentials Credentials(string user, string password) => new(user, Encoding.UTF8.GetBytes(password));
}
