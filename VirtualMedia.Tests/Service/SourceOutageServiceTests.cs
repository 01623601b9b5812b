using VirtualMedia.Tests.Infrastructure;
using VirtualMedia.Tests.Service.Ejection;

namespace VirtualMedia.Tests.Service;

/// <summary>The image server of an active legacy mount goes away: the service process rides out a short outage, and
/// past SourceOutageSeconds ejects the slot with a Completion errno and one err line; a new Mount works afterwards.</summary>
[NonParallelizable]
public sealed class SourceOutageServiceTests
{
    private const int OutageSeconds = 3;
    private const int ImageSize = 40 * 1024 * 1024;
    private static readonly string Slot = ServiceRig.LegacyPath(2);

    private NginxServer _nginx = null!;
    private ServiceRig _rig = null!;

    [SetUp]
    public async Task StartAsync()
    {
        _nginx = await NginxServer.StartAsync();
        ServiceRig.WriteImage(_nginx.Root, "large.img", ImageSize);
        _rig = await ServiceRig.StartAsync(rig => ServiceRig.StandardConfig(
            rig, $"\"InactivityTimeout\": 1800, \"CaDirectory\": \"{_nginx.CaDirectory}\", \"SourceOutageSeconds\": {OutageSeconds}"));
    }

    [TearDown]
    public async Task StopAsync()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            TestContext.Out.WriteLine(_rig.Service.Output);
        }

        await _rig.DisposeAsync();
        await _nginx.DisposeAsync();
    }

    [Test]
    public async Task An_outage_within_the_budget_is_a_warning_and_a_recovery_and_the_host_reads_the_right_bytes()
    {
        (await _rig.MountWithIntAsync(Slot, _nginx.HttpsUrl("images/large.img"), false)).Should().BeTrue();
        _rig.NextCompletion(Slot).Should().Be(0);
        await _nginx.StopAsync();

        var reading = ReadTailAsync();
        await Wait.UntilAsync(
            () => Task.FromResult(_rig.Service.Lines.Any(l => l.Contains("the image server is failing", StringComparison.Ordinal))),
            Patience.Scale(TimeSpan.FromSeconds(OutageSeconds)), "the host's read to meet the outage");
        await _nginx.RestartAsync();
        var result = await reading;

        result.ExitCode.Should().Be(0, result.StandardError);
        result.StandardOutput.Trim().Should().Be(TailSha256(), "the host got the image's bytes, late but right");
        (await _rig.IsActiveAsync(Slot)).Should().BeTrue();
        await _rig.ExpectActiveOwingNoCompletionAsync(Slot);
        await Wait.UntilAsync(() => Task.FromResult(_rig.Service.Lines.Any(l => l.Contains("answers again", StringComparison.Ordinal))), Patience.Scale(TimeSpan.FromSeconds(5)), "the recovery line");
        var lines = _rig.Service.Lines.Where(l => l.Contains("Slot_2", StringComparison.Ordinal)).ToList();
        lines.Should().ContainSingle(l => l.StartsWith("<4>", StringComparison.Ordinal) && l.Contains("the image server is failing", StringComparison.Ordinal));
        lines.Should().ContainSingle(l => l.StartsWith("<6>", StringComparison.Ordinal) && l.Contains("answers again", StringComparison.Ordinal));
        lines.Should().NotContain(l => l.StartsWith("<3>", StringComparison.Ordinal));
    }

    [Test]
    public async Task A_server_gone_past_the_budget_ejects_the_slot_with_EIO_once_and_a_new_mount_works_once_it_is_back()
    {
        await using var logging = await PhosphorLoggingStandIn.StartAsync(_rig.Bus.Address);
        (await _rig.MountWithIntAsync(Slot, _nginx.HttpsUrl("images/large.img"), false)).Should().BeTrue();
        _rig.NextCompletion(Slot).Should().Be(0);
        await _nginx.StopAsync();

        var result = await ReadTailAsync();

        result.ExitCode.Should().NotBe(0, "the host's read of bytes the server never sent fails");
        _rig.NextCompletion(Slot, TimeSpan.FromSeconds(OutageSeconds + 20)).Should().Be(5, "EIO");
        (await _rig.IsActiveAsync(Slot)).Should().BeFalse();
        ((string)await _rig.GetAsync(Slot, ServiceRig.MountPoint, "ImageURL")).Should().BeEmpty();
        var errors = _rig.Service.Lines.Where(l => l.StartsWith("<3>", StringComparison.Ordinal)).ToList();
        errors.Should().ContainSingle().Which.Should().Contain("Slot_2").And.Contain("giving up").And.Contain("ejecting");
        await _rig.ExpectReadyOwingNoCompletionAsync(Slot);
        var entry = logging.Next(TimeSpan.FromSeconds(5));
        entry.Should().NotBeNull("the ejection is an event in Redfish's log");
        entry!.Severity.Should().Be("xyz.openbmc_project.Logging.Entry.Level.Error");
        entry.Message.Should().Contain("Slot_2").And.Contain("giving up");
        entry.Data.Should().Contain(new Dictionary<string, string>
        {
            ["SLOT"] = "Slot_2",
            ["URL"] = _nginx.HttpsUrl("images/large.img"),
            ["ERRNO"] = "5",
            ["REASON"] = "SourceFailed",
        });
        logging.Next(TimeSpan.FromSeconds(1)).Should().BeNull("one failure is one entry");

        await _nginx.RestartAsync();
        (await _rig.MountWithIntAsync(Slot, _nginx.HttpsUrl("images/large.img"), false)).Should().BeTrue();
        _rig.NextCompletion(Slot).Should().Be(0);
        (await ReadTailAsync()).StandardOutput.Trim().Should().Be(TailSha256());
        (await _rig.UnmountAsync(Slot)).Should().BeTrue();
        _rig.NextCompletion(Slot).Should().Be(0);
    }

    /// <summary>The host reads the image's last MiB, past what the read-ahead cache can hold from the start, and prints its sha256.</summary>
    private Task<ProcessResult> ReadTailAsync() => NbdPeers.NbdshAsync(
        $"nbd+unix:///?socket={Path.Combine(_rig.Sandbox, "dev", "nbd2.sock")}",
        $"import hashlib; print(hashlib.sha256(h.pread({1 << 20}, {ImageSize - (1 << 20)})).hexdigest())");

    private string TailSha256()
    {
        using var image = File.OpenRead(Path.Combine(_nginx.Root, "large.img"));
        image.Seek(ImageSize - (1 << 20), SeekOrigin.Begin);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(image));
    }
}
