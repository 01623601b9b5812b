using VirtualMedia.Gadget.BlockDevice;

namespace VirtualMedia.Tests.Gadget;

[TestFixture]
public sealed class BlockDeviceStatisticsTests
{
    [Test]
    public void Parse_TakesReadsAndWritesCompleted() =>
        BlockDeviceStatistics.Parse("     297        0    16384      102       12        3      160       40        0      216      143        0        0        0        0        0        0\n")
            .Should().Be(new BlockDeviceStatistics(297, 12));

    [TestCase("")]
    [TestCase("1 2 3")]
    public void Parse_OfAnEmptyOrShortFile_IsZero(string stat) =>
        BlockDeviceStatistics.Parse(stat).Should().Be(default(BlockDeviceStatistics));

    [Test]
    public void Since_CountsFromTheAttachment() =>
        new BlockDeviceStatistics(300, 20).Since(new BlockDeviceStatistics(100, 5)).Should().Be(new BlockDeviceStatistics(200, 15));
}
