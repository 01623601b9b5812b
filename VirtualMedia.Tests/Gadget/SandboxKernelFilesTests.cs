using VirtualMedia.Gadget.Kernel;
using VirtualMedia.Gadget.Sandbox;
using VirtualMedia.Nbd;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.Gadget;

/// <summary>The sandbox imitates the kernel's refusals that the composer's order and UDC choice rely on.</summary>
[TestFixture]
public sealed class SandboxKernelFilesTests
{
    private TempDirectory _root = null!;
    private KernelSide _kernel = null!;

    [SetUp]
    public void CreateSandbox()
    {
        _root = new TempDirectory("sandbox-files");
        _kernel = SandboxKernel.Create(_root.Path);
    }

    [TearDown]
    public void RemoveSandbox() => _root.Dispose();

    [Test]
    public void AUdcHeldByAnotherGadget_IsEbusy()
    {
        var first = MakeGadget("a");
        var second = MakeGadget("b");
        _kernel.Files.WriteAttribute(Path.Combine(first, "UDC"), "sandbox_udc.0");

        var take = () => _kernel.Files.WriteAttribute(Path.Combine(second, "UDC"), "sandbox_udc.0");

        take.Should().Throw<KernelException>().Which.Errno.Should().Be(Errno.EBUSY);
    }

    [Test]
    public void AnUnknownUdc_IsEnodev()
    {
        var gadget = MakeGadget("a");

        var bind = () => _kernel.Files.WriteAttribute(Path.Combine(gadget, "UDC"), "no_such_udc");

        bind.Should().Throw<KernelException>().Which.Errno.Should().Be(Errno.ENODEV);
    }

    [TestCase("ro")]
    [TestCase("cdrom")]
    public void ChangingAFlagWhileAFileIsSet_IsEbusy(string flag)
    {
        var lun = Path.Combine(MakeGadget("a"), "functions/mass_storage.usb0/lun.0");
        _kernel.Files.WriteAttribute(Path.Combine(lun, "file"), "/dev/nbd0");

        var change = () => _kernel.Files.WriteAttribute(Path.Combine(lun, flag), "1");

        change.Should().Throw<KernelException>().Which.Errno.Should().Be(Errno.EBUSY);
    }

    [Test]
    public void RemovingAGadgetWithUserMadeChildren_IsRefused()
    {
        var gadget = MakeGadget("a");

        var remove = () => _kernel.Files.RemoveDirectory(gadget);

        remove.Should().Throw<KernelException>();
        Directory.Exists(gadget).Should().BeTrue();
    }

    [Test]
    public void AnAttributeTheKernelDoesNotHave_IsEnoent()
    {
        var write = () => _kernel.Files.WriteAttribute(Path.Combine(MakeGadget("a"), "no_such_attribute"), "1");

        write.Should().Throw<KernelException>().Which.Errno.Should().Be(Errno.ENOENT);
    }

    [Test]
    public void TheSandboxHasTwoUdcsAndSixteenNbdDevices()
    {
        Directory.EnumerateFileSystemEntries(_kernel.Paths.UdcClass).Select(Path.GetFileName)
            .Should().BeEquivalentTo("sandbox_udc.0", "sandbox_udc.1");
        File.ReadAllText(Path.Combine(_kernel.Paths.SysBlock("nbd15"), "size")).Trim().Should().Be("0");
        File.ReadAllText(Path.Combine(_kernel.Paths.SysBlock("nbd0"), "stat")).Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Should().HaveCount(17);
    }

    private string MakeGadget(string name)
    {
        var dir = Path.Combine(_kernel.Paths.GadgetRoot, name);
        _kernel.Files.CreateDirectory(dir);
        _kernel.Files.CreateDirectory(Path.Combine(dir, "functions/mass_storage.usb0"));
        return dir;
    }
}
