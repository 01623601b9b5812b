using VirtualMedia.Gadget.Kernel;
using VirtualMedia.Gadget.Udc;
using VirtualMedia.Nbd;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.Gadget;

[TestFixture]
public sealed class UdcPickerTests
{
    private const string Vhub = "1e6a0000.usb-vhub";
    private TempDirectory _root = null!;
    private KernelPaths _paths = null!;

    [SetUp]
    public void CreateRoot()
    {
        _root = new TempDirectory("udc");
        _paths = new KernelPaths(_root.Path, "nbd-client");
        Directory.CreateDirectory(_paths.GadgetRoot);
    }

    [TearDown]
    public void RemoveRoot() => _root.Dispose();

    [TestCase(true)]
    [TestCase(false)]
    public void Vhub_SkipsAPortWithABoundGadget_InBothNamingSchemes(bool newNaming)
    {
        AddVhubPorts(5, newNaming);
        BindDriver(Port(1, newNaming));

        new UdcPicker(_paths).Pick().Should().Be($"{Vhub}:p2");
    }

    [TestCase(true)]
    [TestCase(false)]
    public void Vhub_SkipsAPortAnotherGadgetNames(bool newNaming)
    {
        AddVhubPorts(5, newNaming);
        HoldByGadget("other", $"{Vhub}:p1");
        BindDriver(Port(2, newNaming));

        new UdcPicker(_paths).Pick().Should().Be($"{Vhub}:p3");
    }

    [Test]
    public void Vhub_PortsAreOrderedByNumber()
    {
        AddVhubPorts(11, newNaming: true);
        for (var i = 1; i <= 9; i++)
        {
            HoldByGadget("g" + i, $"{Vhub}:p{i}");
        }

        new UdcPicker(_paths).Pick().Should().Be($"{Vhub}:p10");
    }

    [Test]
    public void Vhub_WinsOverClassUdc()
    {
        AddVhubPorts(2, newNaming: true);
        Directory.CreateDirectory(Path.Combine(_paths.UdcClass, "f0830000.udc"));

        new UdcPicker(_paths).Pick().Should().Be($"{Vhub}:p1");
    }

    [Test]
    public void ClassUdc_TakesTheFirstEntryNoGadgetNames()
    {
        foreach (var name in new[] { "f0830000.udc", "f0831000.udc", "f0832000.udc" })
        {
            Directory.CreateDirectory(Path.Combine(_paths.UdcClass, name));
        }

        HoldByGadget("other", "f0830000.udc");

        new UdcPicker(_paths).Pick().Should().Be("f0831000.udc");
    }

    [Test]
    public void ClassUdc_SkipsOneWhoseGadgetHasADriver()
    {
        var device = Directory.CreateDirectory(_root.Combine("devices/dummy_udc.0")).FullName;
        Directory.CreateDirectory(_paths.UdcClass);
        Directory.CreateSymbolicLink(Path.Combine(_paths.UdcClass, "dummy_udc.0"), _root.Combine("udc0"));
        Directory.CreateDirectory(_root.Combine("udc0"));
        Directory.CreateSymbolicLink(_root.Combine("udc0/device"), device);
        BindDriver(Path.Combine(device, "gadget.0"));
        Directory.CreateDirectory(Path.Combine(_paths.UdcClass, "dummy_udc.1"));

        new UdcPicker(_paths).Pick().Should().Be("dummy_udc.1");
    }

    [Test]
    public void AllTaken_IsEbusy_Naming_TheUdcs()
    {
        AddVhubPorts(2, newNaming: true);
        HoldByGadget("a", $"{Vhub}:p1");
        HoldByGadget("b", $"{Vhub}:p2");

        var pick = () => new UdcPicker(_paths).Pick();

        pick.Should().Throw<KernelException>()
            .Where(e => e.Errno == Errno.EBUSY && e.Message.Contains($"{Vhub}:p2"));
    }

    [Test]
    public void NoUdcAtAll_IsEnodev()
    {
        var pick = () => new UdcPicker(_paths).Pick();

        pick.Should().Throw<KernelException>().Which.Errno.Should().Be(Errno.ENODEV);
    }

    private string Port(int number, bool newNaming) =>
        Path.Combine(_paths.PlatformDevices, Vhub, $"{Vhub}:p{number}", newNaming ? $"gadget.{number - 1}" : "gadget");

    private void AddVhubPorts(int count, bool newNaming)
    {
        for (var i = 1; i <= count; i++)
        {
            Directory.CreateDirectory(Port(i, newNaming));
        }
    }

    private void BindDriver(string gadgetDevice)
    {
        Directory.CreateDirectory(gadgetDevice);
        var driver = Directory.CreateDirectory(_root.Combine("drivers/configfs-gadget")).FullName;
        Directory.CreateSymbolicLink(Path.Combine(gadgetDevice, "driver"), driver);
    }

    private void HoldByGadget(string gadget, string udc)
    {
        var dir = Directory.CreateDirectory(Path.Combine(_paths.GadgetRoot, gadget)).FullName;
        File.WriteAllText(Path.Combine(dir, "UDC"), udc + "\n");
    }
}
