using VirtualMedia.DBus;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.Service;

/// <summary>
/// Whom the service trusts with an HTTPS image, through the service process: the system store, or the CAs of
/// <c>CaDirectory</c> instead of it, or nobody checked at all with <c>VerifyCertificates=false</c>. The service's
/// "system store" is made to trust nginx's CA (or not) with OpenSSL's <c>SSL_CERT_FILE</c>, as a public CA would be.
/// </summary>
[NonParallelizable]
public sealed class CertificateTrustTests
{
    private NginxServer _nginx = null!;
    private TempDirectory _otherCa = null!;

    /// <summary>A directory holding only the other CA's certificate.</summary>
    private string OtherCaDirectory => _otherCa.Combine("ca");

    private string OtherCaFile => Path.Combine(OtherCaDirectory, "other-ca.pem");

    /// <summary>An empty directory: the service's SSL_CERT_DIR, so that only SSL_CERT_FILE makes its system store.</summary>
    private string EmptyDirectory => _otherCa.Combine("empty");

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _nginx = await NginxServer.StartAsync();
        ServiceRig.WriteImage(_nginx.Root, "disk.img", 512 * 1024);
        _otherCa = new TempDirectory("vm-other-ca");
        Directory.CreateDirectory(OtherCaDirectory);
        Directory.CreateDirectory(EmptyDirectory);
        (await ExternalProcess.RunAsync(Require.Tool("openssl"),
        [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
            "-subj", "/CN=Another CA", "-keyout", _otherCa.Combine("other-key.pem"), "-out", OtherCaFile,
        ])).EnsureSuccess("openssl req");
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_nginx is not null)
        {
            await _nginx.DisposeAsync();
        }

        _otherCa?.Dispose();
    }

    [Test]
    public async Task The_system_store_is_trusted_when_no_CA_directory_is_configured()
    {
        // The control for the next test: the service's system store does take SSL_CERT_FILE.
        (await MountAsync(extraConfig: null, systemStore: _nginx.CertificatePath)).Should().BeNull();
    }

    [Test]
    public async Task A_CA_directory_replaces_the_system_store()
    {
        var error = await MountAsync($"\"CaDirectory\": \"{OtherCaDirectory}\"", systemStore: _nginx.CertificatePath);

        error.Should().NotBeNull("a server the system store trusts but no CA of the directory vouches for is refused");
        error!.ErrorName.Should().Be("org.freedesktop.DBus.Error.AccessDenied");
        error.ErrorMessage.Should().Contain("TLS");
    }

    [Test]
    public async Task A_CA_directory_vouches_for_a_server_the_system_store_does_not_know()
    {
        (await MountAsync($"\"CaDirectory\": \"{_nginx.CaDirectory}\"", systemStore: OtherCaFile)).Should().BeNull();
    }

    [Test]
    public async Task An_unknown_CA_is_refused_by_default()
    {
        var error = await MountAsync(extraConfig: null, systemStore: OtherCaFile);

        error.Should().NotBeNull();
        error!.ErrorName.Should().Be("org.freedesktop.DBus.Error.AccessDenied");
    }

    [Test]
    public async Task VerifyCertificates_false_accepts_any_server_and_says_so_at_start()
    {
        (await MountAsync("\"VerifyCertificates\": false", systemStore: OtherCaFile, expectWarning: true)).Should().BeNull();
    }

    /// <summary>Starts the service with <paramref name="systemStore"/> as its trusted roots, mounts nginx's image and
    /// returns the refusal (null when it mounted, after reading it back and unmounting).</summary>
    private async Task<DBusErrorException?> MountAsync(string? extraConfig, string systemStore, bool expectWarning = false)
    {
        var extra = "\"InactivityTimeout\": 1800" + (extraConfig is null ? string.Empty : ", " + extraConfig);
        await using var rig = await ServiceRig.StartAsync(
            r => ServiceRig.StandardConfig(r, extra),
            new Dictionary<string, string> { ["SSL_CERT_FILE"] = systemStore, ["SSL_CERT_DIR"] = EmptyDirectory });
        var path = ServiceRig.LegacyPath(2);
        try
        {
            (await rig.MountWithIntAsync(path, _nginx.HttpsUrl("images/disk.img"), false)).Should().BeTrue();
        }
        catch (DBusErrorException e)
        {
            (await rig.IsActiveAsync(path)).Should().BeFalse();
            return e;
        }

        rig.NextCompletion(path).Should().Be(0);
        (await rig.UnmountAsync(path)).Should().BeTrue();
        rig.NextCompletion(path).Should().Be(0);
        rig.Service.Lines.Any(l => l.StartsWith("<4>", StringComparison.Ordinal) && l.Contains("NOT verified", StringComparison.Ordinal))
            .Should().Be(expectWarning);
        return null;
    }
}
