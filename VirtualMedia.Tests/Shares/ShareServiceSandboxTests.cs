using VirtualMedia.DBus;
using VirtualMedia.Tests.Infrastructure;
using VirtualMedia.Tests.Service;

namespace VirtualMedia.Tests.Shares;

/// <summary>The real service in the sandbox, which has no CIFS or NFS client whatever this machine's kernel has: shares are
/// refused, never faked (the kernel VM tier mounts real ones).</summary>
public sealed class ShareServiceSandboxTests
{
    [TestCase("smb://127.0.0.1/isos/a.iso", "CIFS/SMB")]
    [TestCase("nfs://127.0.0.1/export/a.iso", "NFS")]
    public async Task Legacy_mount_of_a_share_is_enotsup_naming_the_missing_client(string url, string client)
    {
        await using var rig = await ServiceRig.StartAsync();
        var path = ServiceRig.LegacyPath(2);
        using var secret = SecretPipe.Holding("alice", "pa,ss-secret");

        var act = () => rig.MountAsync(path, url, false, secret);

        var error = (await act.Should().ThrowAsync<DBusErrorException>()).Which;
        error.ErrorName.Should().Be(Errno.ToErrorName(Errno.ENOTSUP));
        error.ErrorMessage.Should().Contain(url).And.Contain($"kernel lacks the {client} client").And.NotContain("pa,ss-secret");
        (await rig.IsActiveAsync(path)).Should().BeFalse();
        rig.Service.Output.Should().NotContain("pa,ss-secret");

        // The slot is usable at once: the same request gets the same answer, not EBUSY.
        using var again = SecretPipe.Holding(string.Empty, string.Empty);
        (await rig.Invoking(r => r.MountAsync(path, url, false, again)).Should().ThrowAsync<DBusErrorException>())
            .Which.ErrorName.Should().Be(Errno.ToErrorName(Errno.ENOTSUP));
    }
}
