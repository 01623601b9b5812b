using Microsoft.Extensions.Logging.Abstractions;
using VirtualMedia.Gadget.ConfigFs;
using VirtualMedia.Gadget.Kernel;
using VirtualMedia.Gadget.Sandbox;
using VirtualMedia.Nbd;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.Gadget;

[TestFixture]
public sealed class GadgetComposerTests
{
    private TempDirectory _root = null!;
    private KernelSide _kernel = null!;
    private GadgetComposer _composer = null!;

    [SetUp]
    public void CreateSandbox()
    {
        _root = new TempDirectory("gadget");
        _kernel = SandboxKernel.Create(_root.Path);
        _composer = new GadgetComposer(_kernel, NullLogger.Instance);
    }

    [TearDown]
    public void RemoveSandbox() => _root.Dispose();

    [TestCase(MediaType.UsbStick, false, "0", "0")]
    [TestCase(MediaType.UsbStick, true, "0", "1")]
    [TestCase(MediaType.Cd, false, "1", "1")]
    [TestCase(MediaType.Cd, true, "1", "1")]
    public void Create_LaysOutTheContractTree(MediaType media, bool writeProtected, string cdrom, string ro)
    {
        var gadget = _composer.Create(new GadgetSpec("Slot_0", "/dev/nbd0", media, writeProtected));

        var dir = Path.Combine(_kernel.Paths.GadgetRoot, "mass-storage-Slot_0");
        gadget.Directory.Should().Be(dir);
        gadget.Udc.Should().Be("sandbox_udc.0");
        Read(dir, "idVendor").Should().Be("0x1d6b");
        Read(dir, "idProduct").Should().Be("0x0104");
        Read(dir, "strings/0x409/manufacturer").Should().NotBeEmpty();
        Read(dir, "strings/0x409/product").Should().NotBeEmpty();
        Read(dir, "configs/c.1/strings/0x409/configuration").Should().NotBeEmpty();
        Read(dir, "functions/mass_storage.usb0/lun.0/removable").Should().Be("1");
        Read(dir, "functions/mass_storage.usb0/lun.0/cdrom").Should().Be(cdrom);
        Read(dir, "functions/mass_storage.usb0/lun.0/ro").Should().Be(ro);
        Read(dir, "functions/mass_storage.usb0/lun.0/file").Should().Be("/dev/nbd0");
        new FileInfo(Path.Combine(dir, "configs/c.1/mass_storage.usb0")).LinkTarget
            .Should().Be(Path.Combine(dir, "functions/mass_storage.usb0"));
        Read(dir, "UDC").Should().Be("sandbox_udc.0");
    }

    [Test]
    public void Remove_LeavesNothing_AndIsIdempotent()
    {
        _composer.Create(new GadgetSpec("Slot_0", "/dev/nbd0", MediaType.Cd, false));

        _composer.Remove("Slot_0");
        _composer.Remove("Slot_0");

        Directory.EnumerateFileSystemEntries(_kernel.Paths.GadgetRoot).Should().BeEmpty();
    }

    [Test]
    public void EachSlotGetsItsOwnUdc_AndAThirdIsEbusyWithNothingLeft()
    {
        _composer.Create(new GadgetSpec("Slot_0", "/dev/nbd0", MediaType.UsbStick, false)).Udc.Should().Be("sandbox_udc.0");
        _composer.Create(new GadgetSpec("Slot_1", "/dev/nbd1", MediaType.Cd, false)).Udc.Should().Be("sandbox_udc.1");

        var third = () => _composer.Create(new GadgetSpec("Slot_2", "/dev/nbd2", MediaType.UsbStick, false));

        third.Should().Throw<KernelException>().Which.Errno.Should().Be(Errno.EBUSY);
        Directory.Exists(_composer.DirectoryOf("Slot_2")).Should().BeFalse();
    }

    [Test]
    public void AUdcFreedByRemove_IsTakenAgain()
    {
        _composer.Create(new GadgetSpec("Slot_0", "/dev/nbd0", MediaType.UsbStick, false));
        _composer.Create(new GadgetSpec("Slot_1", "/dev/nbd1", MediaType.UsbStick, false));
        _composer.Remove("Slot_0");

        _composer.Create(new GadgetSpec("Slot_2", "/dev/nbd2", MediaType.UsbStick, false)).Udc.Should().Be("sandbox_udc.0");
    }

    [Test]
    public void AFailureAtAnyStep_IsRolledBackCompletely()
    {
        var steps = CountingFiles.CountSteps(_kernel, k => new GadgetComposer(k, NullLogger.Instance)
            .Create(new GadgetSpec("Slot_0", "/dev/nbd0", MediaType.UsbStick, true)));
        _composer.Remove("Slot_0");
        steps.Should().BeGreaterThan(10);

        for (var failAt = 1; failAt <= steps; failAt++)
        {
            var failing = _kernel with { Files = new CountingFiles(_kernel.Files, failAt) };
            var create = () => new GadgetComposer(failing, NullLogger.Instance)
                .Create(new GadgetSpec("Slot_0", "/dev/nbd0", MediaType.UsbStick, true));

            create.Should().Throw<KernelException>($"step {failAt} fails");
            Directory.EnumerateFileSystemEntries(_kernel.Paths.GadgetRoot).Should().BeEmpty($"step {failAt} failed");
        }
    }

    [Test]
    public void RemoveStale_RemovesOnlyOurGadgets()
    {
        _composer.Create(new GadgetSpec("Slot_0", "/dev/nbd0", MediaType.UsbStick, false));
        _composer.Create(new GadgetSpec("Slot_3", "/dev/nbd3", MediaType.Cd, false));
        _kernel.Files.CreateDirectory(Path.Combine(_kernel.Paths.GadgetRoot, "someone-else"));

        var removed = new GadgetComposer(_kernel, NullLogger.Instance).RemoveStale();

        removed.Should().Equal("Slot_0", "Slot_3");
        Directory.EnumerateDirectories(_kernel.Paths.GadgetRoot).Select(Path.GetFileName).Should().Equal("someone-else");
    }

    [Test]
    public void Create_ReplacesALeftoverGadgetOfTheSameSlot()
    {
        _composer.Create(new GadgetSpec("Slot_0", "/dev/nbd0", MediaType.UsbStick, false));

        var again = _composer.Create(new GadgetSpec("Slot_0", "/dev/nbd0", MediaType.Cd, false));

        again.Udc.Should().Be("sandbox_udc.0");
        Read(again.Directory, "functions/mass_storage.usb0/lun.0/cdrom").Should().Be("1");
    }

    private static string Read(string dir, string attribute) => File.ReadAllText(Path.Combine(dir, attribute)).Trim();
}
