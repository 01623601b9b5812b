using VirtualMedia.Service.ImageSources;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.ImageSources;

/// <summary>A real nginx serving one seeded random image, <c>disk.img</c>, to a fixture's tests.</summary>
public abstract class NginxImageFixture(int imageSize, int seed)
{
    /// <summary>Options that accept nginx's self-signed certificate.</summary>
    private protected static readonly ImageSourceOptions Insecure = new() { SkipCertificateVerification = true, OutageBudget = TimeSpan.FromSeconds(1) };

    private protected NginxServer Nginx { get; private set; } = null!;

    /// <summary>The bytes nginx serves as <c>disk.img</c>.</summary>
    private protected byte[] Image { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task StartNginx()
    {
        Nginx = await NginxServer.StartAsync();
        Image = await Nginx.ServeRandomImageAsync("disk.img", imageSize, seed);
    }

    [OneTimeTearDown]
    public async Task StopNginx() => await Nginx.DisposeAsync();
}
