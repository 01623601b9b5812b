using VirtualMedia.Tests.Service;
using static VirtualMedia.Tests.ResourceBounds.ProcessResources;

namespace VirtualMedia.Tests.ResourceBounds;

/// <summary>1,000 Mount/Unmount cycles in the service process leave its fd count and resident memory where they were
/// after warm-up: nothing a mount opens or allocates outlives it.</summary>
[TestFixture]
[NonParallelizable]
public sealed class MountCycleResourceTests
{
    private const int WarmUpCycles = 50;
    private const int Cycles = 1000;

    /// <summary>fds that may come and go on their own (a thread pool thread's epoll, a bus reconnect): not a leak of one per cycle.</summary>
    private const int FdTolerance = 4;

    /// <summary>Growth allowed over the second half of the cycles: a heap still settling (tiered JIT, GC generations sizing
    /// themselves) grows a little, a leak of even 8 KiB per cycle would show as 4 MiB.</summary>
    private const long RssTolerance = 4 * MiB;

    [Test]
    public async Task FdsAndResidentMemoryStayFlatOverAThousandMountUnmountCycles()
    {
        await using var rig = await ServiceRig.StartAsync();
        var image = ServiceRig.WriteImage(rig.ImageDirectory, "disk.img", 64 * 1024);
        var pid = rig.Service.Id;
        string[] slots = [ServiceRig.LegacyPath(2), ServiceRig.LegacyPath(3)];

        await CycleAsync(rig, slots, "file://" + image, WarmUpCycles);
        var fdsBefore = OpenFds(pid);
        List<long> resident = [Resident(pid)];
        for (var quarter = 0; quarter < 4; quarter++)
        {
            await CycleAsync(rig, slots, "file://" + image, Cycles / 4);
            resident.Add(Resident(pid));
        }

        var fdsAfter = OpenFds(pid);
        TestContext.Out.WriteLine(
            $"fds after {WarmUpCycles} warm-up cycles: {fdsBefore}, after {Cycles} more: {fdsAfter}; resident (MiB) after warm-up " +
            $"and every {Cycles / 4} cycles: {string.Join(", ", resident.Select(InMiB))}");
        rig.Service.HasExited.Should().BeFalse(rig.Service.Output);
        fdsAfter.Should().BeLessThanOrEqualTo(fdsBefore + FdTolerance, "a mount's fds (image, sockets, secret pipe) are closed with it");
        resident[^1].Should().BeLessThanOrEqualTo(resident[2] + RssTolerance, "a mount's memory is given back with it");
    }

    /// <summary>Mounts and unmounts <paramref name="count"/> times in all, the slots taking turns concurrently.</summary>
    private static Task CycleAsync(ServiceRig rig, string[] slots, string url, int count) =>
        Task.WhenAll(slots.Select(async (path, index) =>
        {
            for (var i = index; i < count; i += slots.Length)
            {
                (await rig.MountWithIntAsync(path, url, false)).Should().BeTrue();
                rig.NextCompletion(path).Should().Be(0);
                (await rig.UnmountAsync(path)).Should().BeTrue();
                rig.NextCompletion(path).Should().Be(0);
            }
        }));
}
