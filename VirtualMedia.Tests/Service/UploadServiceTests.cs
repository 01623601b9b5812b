using System.Collections.Concurrent;
using System.Diagnostics;
using VirtualMedia.DBus;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.Service;

/// <summary>TransferMethod Upload on the service process: the host survives the image server once the copy is
/// complete, a copy that does not fit is refused, a changed image ejects the slot, a crash's copy is removed at start,
/// and the Transfer properties announce the progress.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[NonParallelizable]
public sealed class UploadServiceTests
{
    private const string Transfer = ServiceRig.Name + ".Transfer";
    private const int ImageSize = 24 * 1024 * 1024;
    private static readonly string Slot = ServiceRig.LegacyPath(2);
    private static readonly TimeSpan CopyTime = Patience.Scale(TimeSpan.FromSeconds(60));

    private NginxServer _nginx = null!;
    private ServiceRig _rig = null!;
    private string _image = null!;

    [SetUp]
    public async Task StartAsync()
    {
        _nginx = await NginxServer.StartAsync();
        _image = ServiceRig.WriteImage(_nginx.Root, "image.img", ImageSize);
    }

    [TearDown]
    public async Task StopAsync()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed && _rig is not null)
        {
            TestContext.Out.WriteLine(_rig.Service.Output);
        }

        if (_rig is not null)
        {
            await _rig.DisposeAsync();
        }

        await _nginx.DisposeAsync();
    }

    [Test]
    public async Task Once_Complete_the_host_reads_the_whole_image_with_the_server_stopped_and_Unmount_leaves_no_file()
    {
        await StartMountedAsync("images/image.img");

        await WaitCompleteAsync();
        await _nginx.StopAsync();

        ((ulong)await _rig.GetAsync(Slot, Transfer, "BytesCopied")).Should().Be(ImageSize);
        ((ulong)await _rig.GetAsync(Slot, Transfer, "Size")).Should().Be(ImageSize);
        (await _rig.HostViewSha256Async("nbd2")).Should().Be(await NbdPeers.Sha256Async(_image), "every byte comes from the copy");
        (await _rig.IsActiveAsync(Slot)).Should().BeTrue();
        _rig.Service.Lines.Should().ContainSingle(l => l.StartsWith("<6>Slot_2: copy of", StringComparison.Ordinal) && l.Contains("MB/s", StringComparison.Ordinal));
        _rig.Service.Lines.Should().NotContain(l => l.Contains("image server is failing", StringComparison.Ordinal), "the server was not asked again");
        Copies().Should().ContainSingle();

        (await _rig.UnmountAsync(Slot)).Should().BeTrue();
        _rig.NextCompletion(Slot).Should().Be(0);
        Copies().Should().BeEmpty("a slot in Upload mode never leaves files behind");
        ((ulong)await _rig.GetAsync(Slot, Transfer, "Size")).Should().Be(0);
    }

    [Test]
    public async Task A_copy_that_does_not_fit_beside_the_reserve_is_refused_with_ENOSPC_before_true()
    {
        if (Environment.UserName != "root")
        {
            Require.Missing("root (to mount a small tmpfs)");
        }

        await StartServiceAsync(upload: true, extra: "\"UploadReserveMiB\": 8");
        var mount = Require.Tool("mount");
        (await ExternalProcess.RunAsync(mount, ["-t", "tmpfs", "-o", "size=30m", "tmpfs", _rig.ImageDirectory])).EnsureSuccess("mount tmpfs");
        try
        {
            var act = async () => await _rig.MountWithIntAsync(Slot, _nginx.HttpsUrl("images/image.img"), false);

            var error = (await act.Should().ThrowAsync<DBusErrorException>()).Which;
            error.ErrorName.Should().Be("System.Error.ENOSPC");
            error.Message.Should().Contain("UploadReserveMiB");
            (await _rig.IsActiveAsync(Slot)).Should().BeFalse();
            Copies().Should().BeEmpty();
            await _rig.ExpectReadyOwingNoCompletionAsync(Slot);
        }
        finally
        {
            await ExternalProcess.RunAsync(Require.Tool("umount"), ["-l", _rig.ImageDirectory]);
        }
    }

    [Test]
    public async Task A_server_outage_mid_copy_is_retried_and_the_copy_completes_with_the_right_bytes()
    {
        await StartMountedAsync("slow/image.img");
        await WaitCopyingAsync();

        await _nginx.StopAsync();
        await Wait.UntilAsync(
            () => _rig.Service.Lines.Any(l => l.StartsWith("<4>Slot_2: the image server is failing", StringComparison.Ordinal)),
            CopyTime, "the copy to meet the outage");
        await _nginx.RestartAsync();
        await WaitCompleteAsync();
        await _nginx.StopAsync();

        (await _rig.HostViewSha256Async("nbd2")).Should().Be(await NbdPeers.Sha256Async(_image), "the copy resumed where it stopped");
        _rig.Service.Lines.Should().Contain(l => l.Contains("Slot_2: the image server answers again", StringComparison.Ordinal));
        _rig.Service.Lines.Should().NotContain(l => l.StartsWith("<3>", StringComparison.Ordinal));
        await _rig.ExpectActiveOwingNoCompletionAsync(Slot);
    }

    [Test]
    public async Task An_image_changed_mid_copy_ejects_the_slot_with_EIO_and_leaves_no_file()
    {
        await StartMountedAsync("slow/image.img");
        await WaitCopyingAsync();

        // Published as servers do: a new file renamed over the old one (new ETag and Last-Modified, same size), and
        // the server restarted. A GET already open would go on sending the old file, whole and consistent (the
        // read-ahead streams GETs of up to 64 MiB, all of this image): the change shows in the next GET.
        var replacement = ServiceRig.WriteImage(_nginx.Root, "image.new", ImageSize);
        File.SetLastWriteTimeUtc(replacement, File.GetLastWriteTimeUtc(_image).AddMinutes(1));
        File.Move(replacement, _image, overwrite: true);
        await _nginx.StopAsync();
        await _nginx.RestartAsync();

        _rig.NextCompletion(Slot, CopyTime).Should().Be(5, "EIO");
        (await _rig.IsActiveAsync(Slot)).Should().BeFalse();
        _rig.Service.Lines.Should().Contain(l => l.StartsWith("<3>Slot_2:", StringComparison.Ordinal) && l.Contains("changed", StringComparison.Ordinal));
        await Wait.UntilAsync(() => Copies().Length == 0, Patience.Scale(TimeSpan.FromSeconds(10)), "the copy to be removed");
        ((bool)await _rig.GetAsync(Slot, Transfer, "Complete")).Should().BeFalse();
    }

    [Test]
    public async Task A_copy_left_by_a_crash_is_removed_at_start()
    {
        await StartMountedAsync("slow/image.img");
        await WaitCopyingAsync();
        var copy = Copies().Should().ContainSingle().Which;
        File.GetUnixFileMode(copy).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);

        await _rig.Service.KillAsync();
        File.Exists(copy).Should().BeTrue("a killed service cannot clean up");
        await _rig.StartServiceAsync();

        File.Exists(copy).Should().BeFalse();
        _rig.Service.Lines.Should().ContainSingle(l => l.StartsWith("<4>", StringComparison.Ordinal) && l.Contains(Path.GetFileName(copy), StringComparison.Ordinal));
    }

    [Test]
    public async Task busctl_switches_a_slot_to_Upload_for_its_next_Mount_whose_progress_is_signalled_at_most_once_a_second()
    {
        await StartServiceAsync(upload: false);
        var busctl = Require.Tool("busctl");
        var signals = new ConcurrentQueue<(TimeSpan At, Dictionary<object, object> Changed)>();
        var clock = Stopwatch.StartNew();
        await using var match = await _rig.Client.AddMatchAsync(
            new MatchRule { Interface = "org.freedesktop.DBus.Properties", Member = "PropertiesChanged", Path = Slot, Arg0 = Transfer },
            message =>
            {
                var reader = message.GetReader();
                reader.ReadString();
                var changed = (Dictionary<object, object>)reader.ReadValue("a{sv}");
                signals.Enqueue((clock.Elapsed, changed.ToDictionary(p => p.Key, p => ((DBusVariant)p.Value).Value)));
            });
        string[] property = ["--address=" + _rig.Bus.Address, "set-property", ServiceRig.Name, Slot, Transfer, "Method", "s"];

        var wrong = await ExternalProcess.RunAsync(busctl, [.. property, "Copy"]);
        wrong.ExitCode.Should().NotBe(0);
        wrong.StandardError.Should().Contain("Stream").And.Contain("Upload");
        (await ExternalProcess.RunAsync(busctl, [.. property, "Upload"])).EnsureSuccess("set Method");
        (await ExternalProcess.RunAsync(busctl, ["--address=" + _rig.Bus.Address, "get-property", ServiceRig.Name, Slot, Transfer, "Method"]))
            .StandardOutput.Should().Be("s \"Upload\"\n");
        await MountAsync("slow/image.img");
        await WaitCompleteAsync();
        await Wait.UntilAsync(() => signals.Any(s => s.Changed.TryGetValue("Complete", out var c) && (bool)c), TimeSpan.FromSeconds(5), "the Complete signal");

        var all = signals.ToList();
        all[0].Changed.Should().ContainKey("Method").WhoseValue.Should().Be("Upload");
        var progress = all.Where(s => s.Changed.ContainsKey("BytesCopied")).ToList();
        progress.Select(s => (ulong)s.Changed["BytesCopied"]).Should().BeInAscendingOrder().And.HaveCountGreaterThan(2, "a copy of seconds reports on the way");
        progress[^1].Changed.Should().Contain(new Dictionary<object, object> { ["BytesCopied"] = (ulong)ImageSize, ["Complete"] = true });
        var paced = progress.Skip(1).SkipLast(1).ToList();
        paced.Zip(paced.Skip(1), (a, b) => b.At - a.At).Should().OnlyContain(gap => gap > TimeSpan.FromMilliseconds(800), "at most one a second");
    }

    private async Task StartServiceAsync(bool upload, string extra = "\"InactivityTimeout\": 1800")
    {
        _rig = await ServiceRig.StartAsync(rig => ServiceRig.StandardConfig(
            rig,
            $"{extra}, \"CaDirectory\": \"{_nginx.CaDirectory}\"",
            slotExtra: i => i == 2 && upload ? "\"TransferMethod\": \"Upload\"" : null));
    }

    /// <summary>Starts the service with Slot_2 in Upload mode and mounts <paramref name="path"/> there.</summary>
    private async Task StartMountedAsync(string path)
    {
        await StartServiceAsync(upload: true);
        await MountAsync(path);
    }

    private async Task MountAsync(string path)
    {
        (await _rig.MountWithIntAsync(Slot, _nginx.HttpsUrl(path), false)).Should().BeTrue();
        _rig.NextCompletion(Slot).Should().Be(0);
    }

    private string[] Copies() => Directory.GetFiles(_rig.ImageDirectory, ".upload-*");

    private Task WaitCompleteAsync() =>
        Wait.UntilAsync(async () => (bool)await _rig.GetAsync(Slot, Transfer, "Complete"), CopyTime, "the copy to complete");

    private Task WaitCopyingAsync() =>
        Wait.UntilAsync(async () => (ulong)await _rig.GetAsync(Slot, Transfer, "BytesCopied") > 0, CopyTime, "the copy to begin");
}
