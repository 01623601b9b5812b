using VirtualMedia.Service.Shares;

namespace VirtualMedia.Tests.Shares;

public sealed class MountInfoTests
{
    [Test]
    public void Mount_points_are_the_fifth_field_with_octal_escapes_decoded()
    {
        const string Table =
            "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
            + "40 22 0:35 / /run/virtual-media/Slot_2/share ro,nosuid - cifs //h/s rw,vers=3.1.1\n"
            + "41 22 0:36 / /mnt/with\\040space\\134and\\011tab rw - tmpfs tmpfs rw\n";

        MountInfo.ParseMountPoints(Table).Should().Equal("/", "/run/virtual-media/Slot_2/share", "/mnt/with space\\and\ttab");
    }

    // One mount point per line of the kernel's table, each a path that exists: a parser taking the wrong field (the
    // root within the file system, the options, the device numbers) or splitting a line would fail it.
    [Test]
    public void The_real_table_of_this_process_has_one_existing_mount_point_per_line()
    {
        var points = new KernelMountSystem().MountPoints();

        points.Should().HaveCount(File.ReadAllLines("/proc/self/mountinfo").Length).And.Contain("/");
        points.Should().OnlyContain(p => p.StartsWith('/') && Path.Exists(p));
    }
}
