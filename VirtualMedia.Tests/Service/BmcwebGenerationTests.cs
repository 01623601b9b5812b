using System.Diagnostics;
using VirtualMedia.DBus;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.Service;

/// <summary>
/// Each generation of bmcweb's <c>Legacy.Mount</c> (CONTRACT.md §1), sent exactly as that generation sends it —
/// signature, variant and what it does with the pipe's write end — against the service process over HTTPS
/// with basic auth: with no credentials, the right ones and a wrong password. The reply must never wait for
/// the writer to close its end.
/// </summary>
[NonParallelizable]
public sealed class BmcwebGenerationTests : NginxServiceFixture
{
    /// <summary>
    /// Well within bmcweb's own D-Bus timeout (25 s). That the reply does not wait for the writer's close is proven by
    /// the outcome itself: a service waiting for it answers a held-open pipe InvalidArgs after its 5-s secret deadline.
    /// </summary>
    private static readonly TimeSpan ReplyBound = Patience.Scale(TimeSpan.FromSeconds(10));

    private const int ImageBytes = 2 * 1024 * 1024 + 512;
    private string _imageSha = null!;

    /// <summary>How a generation of bmcweb calls <c>Legacy.Mount</c>.</summary>
    public enum Generation
    {
        /// <summary>2019–2023: <c>sbv</c>, <c>i -1</c> without credentials, else <c>h</c> with the secret written and the write end closed.</summary>
        Sbv2019,

        /// <summary>Until Feb 2025: <c>sbv</c> holding <c>h</c>; the write end stays open until Mount's reply has arrived.</summary>
        SbvHeldOpen,

        /// <summary>Since Feb 2025: <c>sbh</c>, the secret written and the write end closed after the call is on its way.</summary>
        Sbh2025,
    }

    /// <summary>What the operator gave in InsertMedia.</summary>
    public enum Credentials
    {
        None,
        Right,
        WrongPassword,
    }

    private static IEnumerable<TestCaseData> Matrix() =>
        from generation in Enum.GetValues<Generation>()
        from credentials in Enum.GetValues<Credentials>()
        select new TestCaseData(generation, credentials);

    private protected override async Task PrepareImagesAsync(string root)
    {
        Require.Tool("nbdcopy");
        var image = ServiceRig.WriteImage(root, "install.iso", ImageBytes);
        _imageSha = await NbdPeers.Sha256Async(image);
    }

    [TestCaseSource(nameof(Matrix))]
    public async Task Legacy_Mount_answers_every_generation_without_waiting_for_the_writer(Generation generation, Credentials credentials)
    {
        var path = ServiceRig.LegacyPath(2);
        var url = Nginx.HttpsUrl(credentials == Credentials.None ? "images/install.iso" : "private/install.iso");
        var password = credentials == Credentials.WrongPassword ? "not-the-password" : NginxServer.Password;

        var clock = Stopwatch.StartNew();
        var reply = await CallAsync(generation, path, url, credentials == Credentials.None ? null : (NginxServer.User, password));
        var elapsed = clock.Elapsed;
        TestContext.Progress.WriteLine($"{generation} × {credentials}: {reply.Outcome} in {elapsed.TotalMilliseconds:0} ms");

        elapsed.Should().BeLessThan(ReplyBound);
        Rig.Service.Output.Should().NotContain(password);
        if (credentials == Credentials.WrongPassword)
        {
            reply.Error.Should().NotBeNull();
            reply.Error!.ErrorName.Should().Be("org.freedesktop.DBus.Error.AccessDenied");
            reply.Error.ErrorMessage.Should().NotContain(password);
            (await Rig.IsActiveAsync(path)).Should().BeFalse();
            return;
        }

        reply.Error.Should().BeNull();
        reply.Mounted.Should().BeTrue();
        Rig.NextCompletion(path).Should().Be(0);
        (await Rig.HostViewSha256Async("nbd2")).Should().Be(_imageSha);
        (await Rig.UnmountAsync(path)).Should().BeTrue();
        Rig.NextCompletion(path).Should().Be(0);
    }

    private async Task<MountReply> CallAsync(Generation generation, string path, string url, (string User, string Password)? secret)
    {
        switch (generation)
        {
            case Generation.Sbv2019 when secret is null:
                return await MountReply.Of(Rig.MountWithIntAsync(path, url, false));
            case Generation.Sbv2019:
                using (var pipe = SecretPipe.Holding(secret.Value.User, secret.Value.Password))
                {
                    return await MountReply.Of(Rig.MountWithVariantFdAsync(path, url, false, pipe));
                }

            case Generation.SbvHeldOpen:
                using (var pipe = new SecretPipe())
                {
                    // Its pipe object lives in the reply handler: the write end is closed by the Dispose after the reply.
                    pipe.Write(SecretPipe.Bytes(secret?.User ?? string.Empty, secret?.Password ?? string.Empty));
                    return await MountReply.Of(Rig.MountWithVariantFdAsync(path, url, false, pipe));
                }

            default:
                using (var pipe = new SecretPipe())
                {
                    // The asynchronous write completes after the call has left; the write end is closed once written.
                    var call = MountReply.Of(Rig.MountAsync(path, url, false, pipe));
                    await Task.Delay(100);
                    pipe.Write(SecretPipe.Bytes(secret?.User ?? string.Empty, secret?.Password ?? string.Empty));
                    pipe.CloseWriteEnd();
                    return await call;
                }
        }
    }

    private sealed record MountReply(bool Mounted, DBusErrorException? Error)
    {
        public string Outcome => Error is null ? Mounted.ToString() : Error.ErrorName;

        public static async Task<MountReply> Of(Task<bool> call)
        {
            try
            {
                return new MountReply(await call, null);
            }
            catch (DBusErrorException e)
            {
                return new MountReply(false, e);
            }
        }
    }
}
