using VirtualMedia.Tests.Infrastructure;
using VirtualMedia.Tests.Service;
using static VirtualMedia.Tests.ResourceBounds.ProcessResources;

namespace VirtualMedia.Tests.ResourceBounds;

/// <summary>The service process, run as the unit runs it, gives a removed web image's read-ahead cache back to the
/// system within seconds of the Unmount, instead of carrying it until the next Mount.</summary>
[TestFixture]
[NonParallelizable]
public sealed class RemovedMediaMemoryTests
{
    private const int ImageSize = 64 * 1024 * 1024;

    /// <summary>The default cache is 8 MiB; a whole read touches all of it.</summary>
    private const long CacheBytes = 8 * MiB;

    /// <summary>What must come back: most of the cache (the rest of the growth is TLS and the allocator's, which stay).</summary>
    private const long GivenBack = 6 * MiB;

    [Test]
    public async Task A_removed_web_images_cache_goes_back_to_the_system()
    {
        Require.Tool("nbdcopy");
        await using var nginx = await NginxServer.StartAsync();
        await nginx.ServeRandomImageAsync("disk.img", ImageSize, seed: 3);
        await using var rig = await ServiceRig.StartAsync(
            rig => ServiceRig.StandardConfig(rig, $"\"InactivityTimeout\": 1800, \"CaDirectory\": \"{nginx.CaDirectory}\""),
            UnitEnvironment());
        var pid = rig.Service.Id;
        var slot = ServiceRig.LegacyPath(2);
        var idle = Resident(pid);

        (await rig.MountWithIntAsync(slot, nginx.HttpsUrl("images/disk.img"), false)).Should().BeTrue();
        rig.NextCompletion(slot).Should().Be(0);
        await rig.HostViewSha256Async("nbd2");
        var mounted = Resident(pid);
        (mounted - idle).Should().BeGreaterThanOrEqualTo(GivenBack, "reading the image touched the {0} MiB cache", CacheBytes / MiB);
        (await rig.UnmountAsync(slot)).Should().BeTrue();
        rig.NextCompletion(slot).Should().Be(0);

        var removed = mounted;
        await Wait.UntilAsync(
            () => Task.FromResult((removed = Resident(pid)) <= mounted - GivenBack),
            TimeSpan.FromSeconds(10),
            () => $"resident memory to fall by {GivenBack / MiB} MiB after the Unmount: {InMiB(mounted)} MiB with the image read, still {InMiB(removed)}");
        TestContext.Out.WriteLine($"resident: {InMiB(idle)} MiB at start, {InMiB(mounted)} with the image read, {InMiB(removed)} after the Unmount");
    }

    /// <summary>The systemd unit's Environment= lines, which set the GC's gen0 budget.</summary>
    private static Dictionary<string, string> UnitEnvironment() =>
        File.ReadLines(Repository.Combine("systemd/virtual-media.service"))
            .Where(line => line.StartsWith("Environment=", StringComparison.Ordinal))
            .Select(line => line["Environment=".Length..].Split('=', 2))
            .ToDictionary(pair => pair[0], pair => pair[1]);
}
