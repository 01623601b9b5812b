using System.Net;
using System.Net.Sockets;
using VirtualMedia.DBus;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.Service;

/// <summary>
/// Every row of CONTRACT.md §1's error table, and the quick checks of Legacy.Mount, against the real
/// service: the error name bmcweb turns back into errno, a readable message, the slot left usable, no Completion.
/// </summary>
[NonParallelizable]
public sealed class ErrorTableTests : NginxServiceFixture
{
    private const string InvalidArgs = "org.freedesktop.DBus.Error.InvalidArgs";
    private const string AccessDenied = "org.freedesktop.DBus.Error.AccessDenied";
    private const string NotSupported = "org.freedesktop.DBus.Error.NotSupported";
    private const string Busy = "System.Error.EBUSY";

    private protected override Task PrepareImagesAsync(string root)
    {
        ServiceRig.WriteImage(root, "disk.img", 1024 * 1024);
        return Task.CompletedTask;
    }

    [Test]
    public async Task Mount_on_an_active_slot_is_EPERM()
    {
        var path = ServiceRig.LegacyPath(2);
        (await Rig.MountWithIntAsync(path, Nginx.HttpsUrl("images/disk.img"), false)).Should().BeTrue();
        Rig.NextCompletion(path).Should().Be(0);

        var error = await RefusedAsync(() => Rig.MountWithIntAsync(path, Nginx.HttpsUrl("images/disk.img"), false));

        error.ErrorName.Should().Be(AccessDenied);
        error.ErrorMessage.Should().Contain("Slot_2").And.Contain("unmount it first");
        (await Rig.IsActiveAsync(path)).Should().BeTrue();
        (await Rig.UnmountAsync(path)).Should().BeTrue();
        Rig.NextCompletion(path).Should().Be(0);
    }

    [Test]
    public async Task Mount_and_Unmount_while_activating_are_EBUSY_and_the_mount_completes_exactly_once()
    {
        // A "bmcweb" that accepts the NBD client's connection and does not answer until the test closes it: the slot
        // stays Activating meanwhile (only the slot's Timeout, the fixture's default 30 s, would end it otherwise).
        var path = ServiceRig.ProxyPath(0);
        var socket = (string)await Rig.GetAsync(path, ServiceRig.MountPoint, "Socket");
        if (OperatingSystem.IsLinux())
        {
            // As tmpfiles.d makes /run/virtual-media on a BMC: 0700, which the legacy slots' exports insist on.
            Directory.CreateDirectory(Path.GetDirectoryName(socket)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        using var bmcweb = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        bmcweb.Bind(new UnixDomainSocketEndPoint(socket));
        bmcweb.Listen();
        try
        {
            (await Rig.ProxyMountAsync(path)).Should().BeTrue();
            using (await bmcweb.AcceptAsync().WaitAsync(ServiceRig.CallTimeout))
            {
                (await Rig.GetAsync(path, ServiceRig.Process, "ExitCode")).Should().Be(-1);
                (await RefusedAsync(() => Rig.ProxyMountAsync(path))).ErrorName.Should().Be(Busy);
                (await RefusedAsync(() => Rig.UnmountAsync(path))).ErrorName.Should().Be(Busy);
            }

            // Closed during the handshake: the NBD client ends before the device is ready.
            Rig.NextCompletion(path).Should().Be(Errno.EIO);
            await Rig.ExpectReadyOwingNoCompletionAsync(path);
            (await Rig.IsActiveAsync(path)).Should().BeFalse();
        }
        finally
        {
            File.Delete(socket);
        }
    }

    [Test]
    public async Task Unmount_on_a_ready_slot_is_EPERM()
    {
        var error = await RefusedAsync(() => Rig.UnmountAsync(ServiceRig.LegacyPath(3)));

        error.ErrorName.Should().Be(AccessDenied);
        error.ErrorMessage.Should().Contain("nothing to unmount");
    }

    [TestCase("not a url")]
    [TestCase("")]
    [TestCase("ftp://127.0.0.1/disk.img")]
    [TestCase("gopher://127.0.0.1/disk.img")]
    [TestCase("https://")]
    public async Task Malformed_urls_and_unknown_schemes_are_EINVAL(string url)
    {
        var error = await RefusedAsync(() => Rig.MountWithIntAsync(ServiceRig.LegacyPath(3), url, false));

        error.ErrorName.Should().Be(InvalidArgs);
        await ExpectReadyAsync(ServiceRig.LegacyPath(3));
    }

    [TestCase("user")]
    [TestCase("user\0pass")]
    [TestCase("user\0pass\0more")]
    [TestCase("a\0b\0c\0")]
    public async Task Malformed_secrets_are_EINVAL(string secretText)
    {
        using var secret = SecretPipe.HoldingBytes(System.Text.Encoding.UTF8.GetBytes(secretText));

        var error = await RefusedAsync(() => Rig.MountAsync(ServiceRig.LegacyPath(3), Nginx.HttpsUrl("images/disk.img"), false, secret));

        error.ErrorName.Should().Be(InvalidArgs);
        error.ErrorMessage.Should().Contain("secret");
        await ExpectReadyAsync(ServiceRig.LegacyPath(3));
    }

    [Test]
    public async Task A_secret_over_1024_bytes_is_EINVAL()
    {
        using var secret = SecretPipe.HoldingBytes(System.Text.Encoding.UTF8.GetBytes(new string('u', 600) + "\0" + new string('p', 600) + "\0"));

        var error = await RefusedAsync(() => Rig.MountAsync(ServiceRig.LegacyPath(3), Nginx.HttpsUrl("images/disk.img"), false, secret));

        error.ErrorName.Should().Be(InvalidArgs);
    }

    [Test]
    public async Task A_variant_holding_anything_but_minus_one_or_a_fd_is_EINVAL()
    {
        (await RefusedAsync(() => Rig.MountWithIntAsync(ServiceRig.LegacyPath(3), Nginx.HttpsUrl("images/disk.img"), false, 7)))
            .ErrorName.Should().Be(InvalidArgs);

        var body = MessageBody.Create("sbv");
        body.WriteString(Nginx.HttpsUrl("images/disk.img"));
        body.WriteBool(false);
        body.WriteVariantSignature("s");
        body.WriteString("user:pass");
        (await RefusedAsync(() => Rig.CallBoolAsync(ServiceRig.LegacyPath(3), ServiceRig.Legacy, "Mount", body)))
            .ErrorName.Should().Be(InvalidArgs);
    }

    [TestCase("http")]
    [TestCase("smb")]
    [TestCase("nfs")]
    public async Task Schemes_disabled_by_configuration_or_unsupported_are_ENOTSUP(string scheme)
    {
        var url = scheme == "http" ? Nginx.HttpUrl("images/disk.img") : $"{scheme}://127.0.0.1/share/disk.img";

        var error = await RefusedAsync(() => Rig.MountWithIntAsync(ServiceRig.LegacyPath(2), url, false));

        error.ErrorName.Should().Be(NotSupported);
        await ExpectReadyAsync(ServiceRig.LegacyPath(2));
    }

    [Test]
    public async Task Quick_checks_answer_missing_image_ENOENT()
    {
        var error = await RefusedAsync(() => Rig.MountWithIntAsync(ServiceRig.LegacyPath(2), Nginx.HttpsUrl("images/missing.iso"), false));

        error.ErrorName.Should().Be("org.freedesktop.DBus.Error.FileNotFound");
        error.ErrorMessage.Should().Contain("missing.iso");
        await ExpectReadyAsync(ServiceRig.LegacyPath(2));
    }

    [Test]
    public async Task Quick_checks_answer_wrong_credentials_EACCES_without_echoing_them()
    {
        using var secret = SecretPipe.Holding(NginxServer.User, "wrong-password-xyz");

        var error = await RefusedAsync(() => Rig.MountAsync(ServiceRig.LegacyPath(2), Nginx.HttpsUrl("private/disk.img"), false, secret));

        error.ErrorName.Should().Be(AccessDenied);
        error.ErrorMessage.Should().NotContain("wrong-password-xyz");
        Rig.Service.Output.Should().NotContain("wrong-password-xyz");
        await ExpectReadyAsync(ServiceRig.LegacyPath(2));
    }

    [Test]
    public async Task Quick_checks_answer_a_closed_port_ECONNREFUSED()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();

        var error = await RefusedAsync(() => Rig.MountWithIntAsync(ServiceRig.LegacyPath(2), $"https://127.0.0.1:{port}/disk.img", false));

        error.ErrorName.Should().Be("System.Error.ECONNREFUSED");
        await ExpectReadyAsync(ServiceRig.LegacyPath(2));
    }

    [Test]
    public async Task Quick_checks_refuse_a_server_without_Range_support()
    {
        var error = await RefusedAsync(() => Rig.MountWithIntAsync(ServiceRig.LegacyPath(2), Nginx.HttpsUrl("norange/disk.img"), false));

        error.ErrorMessage.Should().Contain("range");
        await ExpectReadyAsync(ServiceRig.LegacyPath(2));
    }

    [Test]
    public async Task Mount_on_a_slot_whose_NBD_device_another_client_holds_is_EBUSY_before_true()
    {
        var size = Path.Combine(Rig.Sandbox, "sys/block/nbd2/size");
        await File.WriteAllTextAsync(size, "2048\n");
        try
        {
            var error = await RefusedAsync(() => Rig.MountWithIntAsync(ServiceRig.LegacyPath(2), Nginx.HttpsUrl("images/disk.img"), false));

            error.ErrorName.Should().Be(Busy);
            error.ErrorMessage.Should().Contain("nbd2").And.Contain("in use");
            await ExpectReadyAsync(ServiceRig.LegacyPath(2));
        }
        finally
        {
            await File.WriteAllTextAsync(size, "0\n");
        }
    }

    [Test]
    public async Task Mount_with_every_UDC_taken_is_EBUSY_before_true()
    {
        // Gadgets of someone else's, one bound to each UDC the sandbox has.
        var gadgets = Path.Combine(Rig.Sandbox, "sys/kernel/config/usb_gadget");
        var others = Directory.GetDirectories(Path.Combine(Rig.Sandbox, "sys/class/udc")).Select((udc, i) =>
        {
            var gadget = Directory.CreateDirectory(Path.Combine(gadgets, $"someone-else-{i}")).FullName;
            File.WriteAllText(Path.Combine(gadget, "UDC"), Path.GetFileName(udc) + "\n");
            return gadget;
        }).ToList();
        try
        {
            var proxy = await RefusedAsync(() => Rig.ProxyMountAsync(ServiceRig.ProxyPath(0)));
            var legacy = await RefusedAsync(() => Rig.MountWithIntAsync(ServiceRig.LegacyPath(3), Nginx.HttpsUrl("images/disk.img"), false));

            foreach (var error in new[] { proxy, legacy })
            {
                error.ErrorName.Should().Be(Busy);
                error.ErrorMessage.Should().Contain("every USB device controller is in use");
            }

            await ExpectReadyAsync(ServiceRig.ProxyPath(0));
            await ExpectReadyAsync(ServiceRig.LegacyPath(3));
        }
        finally
        {
            others.ForEach(gadget => Directory.Delete(gadget, recursive: true));
        }
    }

    [Test]
    public async Task Every_refusal_is_logged_as_an_error_naming_the_slot()
    {
        await RefusedAsync(() => Rig.MountWithIntAsync(ServiceRig.LegacyPath(3), "gopher://x/y.iso", false));

        await Wait.UntilAsync(
            () => Task.FromResult(Rig.Service.Lines.Any(l => l.StartsWith("<3>Slot_3: mount refused", StringComparison.Ordinal))),
            TimeSpan.FromSeconds(5), "the refusal in the log");
    }

    private static async Task<DBusErrorException> RefusedAsync(Func<Task<bool>> call)
    {
        var act = async () => await call();
        return (await act.Should().ThrowAsync<DBusErrorException>()).Which;
    }

    private async Task ExpectReadyAsync(string path)
    {
        (await Rig.IsActiveAsync(path)).Should().BeFalse();
        await Rig.ExpectReadyOwingNoCompletionAsync(path);
    }
}
