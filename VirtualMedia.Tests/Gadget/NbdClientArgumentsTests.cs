using VirtualMedia.Gadget.BlockDevice;

namespace VirtualMedia.Tests.Gadget;

[TestFixture]
public sealed class NbdClientArgumentsTests
{
    [Test]
    public void ReadWrite_IsTheContractCommandLine() =>
        new NbdClientArguments("/run/virtual-media/nbd0.sock", "/dev/nbd0", 30, 512, ReadOnly: false).ToCommandLine()
            .Should().Equal("-u", "/run/virtual-media/nbd0.sock", "/dev/nbd0", "-t", "30", "-b", "512", "-n", "-L");

    [Test]
    public void WriteProtected_AddsTheReadOnlyFlag() =>
        new NbdClientArguments("/run/virtual-media/nbd2.sock", "/dev/nbd2", 90, 4096, ReadOnly: true).ToCommandLine()
            .Should().Equal("-u", "/run/virtual-media/nbd2.sock", "/dev/nbd2", "-t", "90", "-b", "4096", "-n", "-L", "-R");
}
