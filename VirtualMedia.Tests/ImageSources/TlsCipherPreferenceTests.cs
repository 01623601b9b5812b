using System.Collections.Concurrent;
using System.Net.Security;
using VirtualMedia.Service.Activation;
using VirtualMedia.Service.ImageSources.Http;
using VirtualMedia.Service.Urls;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.ImageSources;

/// <summary>The cipher a real nginx picks from what we offer, over TLS 1.3 and TLS 1.2, and that we offer all OpenSSL would.</summary>
[TestFixture]
public sealed class TlsCipherPreferenceTests() : NginxImageFixture(ImageSize, seed: 7)
{
    private const int ImageSize = 1024 * 1024;

    [Test]
    public async Task Over_TLS_1_3_the_server_takes_the_cipher_cheapest_on_this_CPU()
    {
        var expected = TlsCipherPreference.HasAesInstructions() ? "TLS_AES_128_GCM_SHA256" : "TLS_CHACHA20_POLY1305_SHA256";

        var used = await ReadAndReportCipherAsync(Nginx.HttpsPort);

        used.Should().Be($"TLSv1.3 {expected}", "nginx takes the client's order by default, and OpenSSL's own order would have given AES-256-GCM");
    }

    [Test]
    public async Task Over_TLS_1_2_the_server_takes_the_cipher_cheapest_on_this_CPU()
    {
        // The test certificate is an ECDSA one, so the ECDHE-ECDSA suites are the ones that can be chosen.
        var expected = TlsCipherPreference.HasAesInstructions() ? "ECDHE-ECDSA-AES128-GCM-SHA256" : "ECDHE-ECDSA-CHACHA20-POLY1305";

        var used = await ReadAndReportCipherAsync(Nginx.Tls12Port);

        used.Should().Be($"TLSv1.2 {expected}");
    }

    [Test]
    public async Task Without_AES_instructions_the_server_takes_ChaCha20_Poly1305()
    {
        // The JIT build takes DOTNET_EnableAES=0 as a CPU without AES instructions (a BMC core such as the AST2600's);
        // the native binary, which ignores the variable, asks the CPU the same question at start.
        using var directory = new TempDirectory("vm-no-aes");
        var socket = directory.Combine("nbd.sock");
        var before = Nginx.TlsLog().Length;
        using var serve = ExternalProcess.Start(
            Path.Combine(AppContext.BaseDirectory, "VirtualMedia.Service"),
            ["serve", Nginx.HttpsUrl("images/disk.img"), "--socket", socket, "--insecure"],
            new Dictionary<string, string> { ["DOTNET_EnableAES"] = "0" });
        var output = new ConcurrentQueue<string>();
        var pump = ExternalProcess.CollectLinesAsync(serve, output);
        try
        {
            await Wait.UntilAsync(() => File.Exists(socket) || serve.HasExited, TimeSpan.FromSeconds(30), "serve to open the image and listen");
            serve.HasExited.Should().BeFalse(string.Join('\n', output));
        }
        finally
        {
            await ExternalProcess.StopAsync(serve);
            await pump;
        }

        Nginx.TlsLog().Skip(before).Should().NotBeEmpty().And.OnlyContain(line => line == $"{Nginx.HttpsPort} TLSv1.3 TLS_CHACHA20_POLY1305_SHA256");
    }

    [TestCase(true, TlsCipherSuite.TLS_AES_128_GCM_SHA256)]
    [TestCase(false, TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256)]
    public async Task Every_suite_of_OpenSSLs_default_list_is_still_offered(bool aesInHardware, TlsCipherSuite first)
    {
        var openssl = Require.Tool("openssl");
        var defaults = (await ExternalProcess.RunAsync(openssl, ["ciphers", "-s", "-stdname", "DEFAULT"])).EnsureSuccess("openssl ciphers");
        var names = defaults.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split(' ')[0]);

        var offered = TlsCipherPreference.Order(aesInHardware);

        offered.Select(suite => suite.ToString()).Should().BeEquivalentTo(names, "a server that accepted OpenSSL's defaults must accept ours");
        offered.Should().OnlyHaveUniqueItems();
        offered[0].Should().Be(first);
    }

    private async Task<string> ReadAndReportCipherAsync(int port)
    {
        var before = Nginx.TlsLog().Length;
        var url = $"https://127.0.0.1:{port}/images/disk.img";
        await using (var source = await new ImageSourceFactory().CreateAsync(ImageUrl.FromCommandLine(url), Insecure, null, CancellationToken.None))
        {
            var buffer = new byte[4096];
            await source.ReadAsync(ImageSize - buffer.Length, buffer, CancellationToken.None);
            buffer.Should().Equal(Image[^buffer.Length..]);
        }

        var lines = Nginx.TlsLog().Skip(before).ToArray();
        lines.Should().NotBeEmpty().And.OnlyContain(line => line.StartsWith($"{port} ", StringComparison.Ordinal));
        return lines.Select(line => line[(line.IndexOf(' ', StringComparison.Ordinal) + 1)..]).Distinct().Should().ContainSingle().Subject;
    }
}
