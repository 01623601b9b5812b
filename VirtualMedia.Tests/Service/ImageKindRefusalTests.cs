using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using VirtualMedia.DBus;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.Service;

/// <summary>
/// Images that could never become media — empty, a directory, a FIFO, a device — are refused by Mount itself,
/// at once, with an errno bmcweb can show; checks that hang end with the slot's Timeout. The slot stays Ready and the
/// next good Mount works (issue 11.3, 11.4).
/// </summary>
[NonParallelizable]
public sealed class ImageKindRefusalTests : NginxServiceFixture
{
    private const string InvalidArgs = "org.freedesktop.DBus.Error.InvalidArgs";

    private protected override ushort SlotTimeout => 2;

    private protected override Task PrepareImagesAsync(string root)
    {
        ServiceRig.WriteImage(root, "disk.img", 256 * 1024);
        File.WriteAllBytes(Path.Combine(root, "empty.img"), []);
        return Task.CompletedTask;
    }

    [Test]
    public async Task An_empty_file_image_is_EINVAL_before_true()
    {
        var image = Path.Combine(Rig.ImageDirectory, "empty.img");
        await File.WriteAllBytesAsync(image, []);

        var error = await RefusedAsync("file://" + image);

        error.ErrorName.Should().Be(InvalidArgs);
        error.ErrorMessage.Should().Contain("empty.img").And.Contain("empty");
        await ExpectUsableAsync();
    }

    [Test]
    public async Task A_directory_is_EISDIR_not_permission_denied()
    {
        var directory = Directory.CreateDirectory(Path.Combine(Rig.ImageDirectory, "folder.iso")).FullName;

        var error = await RefusedAsync("file://" + directory);

        error.ErrorName.Should().Be("System.Error.EISDIR");
        error.ErrorMessage.Should().Contain("folder.iso").And.Contain("directory");
        await ExpectUsableAsync();
    }

    [Test]
    public async Task A_FIFO_is_EINVAL_within_the_deadline_and_leaves_the_slot_usable()
    {
        var fifo = Path.Combine(Rig.ImageDirectory, "pipe.iso");
        (await ExternalProcess.RunAsync(Require.Tool("mkfifo"), [fifo])).EnsureSuccess("mkfifo");

        var refused = RefusedAsync("file://" + fifo);
        var first = await Task.WhenAny(refused, Task.Delay(TimeSpan.FromSeconds(SlotTimeout + 1.5)));

        first.Should().BeSameAs(refused, "Mount must answer within the slot's Timeout; a FIFO must not block it");
        var error = await refused;
        error.ErrorName.Should().Be(InvalidArgs);
        error.ErrorMessage.Should().Contain("pipe.iso").And.Contain("not a regular file");
        await ExpectUsableAsync();
    }

    [Test]
    public async Task A_device_node_is_EINVAL()
    {
        var device = Path.Combine(Rig.ImageDirectory, "null.img");
        (await ExternalProcess.RunAsync(Require.Tool("mknod"), [device, "c", "1", "3"])).EnsureSuccess("mknod");

        var error = await RefusedAsync("file://" + device);

        error.ErrorName.Should().Be(InvalidArgs);
        error.ErrorMessage.Should().Contain("null.img").And.Contain("not a regular file");
        await ExpectUsableAsync();
    }

    [Test]
    public async Task An_https_image_of_size_0_is_EINVAL_before_true()
    {
        var error = await RefusedAsync(Nginx.HttpsUrl("images/empty.img"));

        error.ErrorName.Should().Be(InvalidArgs);
        error.ErrorMessage.Should().Contain("empty.img").And.Contain("empty");
        await ExpectUsableAsync();
    }

    [Test]
    public async Task A_server_that_never_answers_is_ETIMEDOUT_within_the_slots_Timeout()
    {
        // Accepts the connection, never says a word: the TLS handshake waits.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var clock = Stopwatch.StartNew();

        var error = await RefusedAsync($"https://127.0.0.1:{port}/disk.img");

        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(SlotTimeout + 1.5), "the checks end with the slot's Timeout");
        error.ErrorName.Should().Be("org.freedesktop.DBus.Error.Timeout");
        error.ErrorMessage.Should().Contain("Timeout");
        await ExpectUsableAsync();
    }

    private async Task<DBusErrorException> RefusedAsync(string url)
    {
        var act = async () => await Rig.MountWithIntAsync(ServiceRig.LegacyPath(2), url, false);
        return (await act.Should().ThrowAsync<DBusErrorException>()).Which;
    }

    /// <summary>No Completion came for the refusal, and a good image mounts and unmounts on the same slot.</summary>
    private async Task ExpectUsableAsync()
    {
        var path = ServiceRig.LegacyPath(2);
        await Rig.ExpectReadyOwingNoCompletionAsync(path);
        (await Rig.MountWithIntAsync(path, Nginx.HttpsUrl("images/disk.img"), false)).Should().BeTrue();
        Rig.NextCompletion(path).Should().Be(0);
        (await Rig.UnmountAsync(path)).Should().BeTrue();
        Rig.NextCompletion(path).Should().Be(0);
    }
}
