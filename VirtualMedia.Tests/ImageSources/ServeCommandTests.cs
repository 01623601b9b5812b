using System.Diagnostics;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.ImageSources;

/// <summary>The `serve` command as an operator runs it: a real process, real nbdinfo, one-line errors.</summary>
[TestFixture]
public sealed class ServeCommandTests
{
    [Test]
    public async Task BadUrlIsOneLineAndNonZeroExit()
    {
        using var directory = new TempDirectory("vm-serve");
        var result = await ExternalProcess.RunAsync(
            ServiceProcess.Program, ["serve", "smb://user:pw@server/share/a.iso", "--socket", directory.Combine("s.sock")]);

        result.ExitCode.Should().NotBe(0);
        var lines = (result.StandardOutput + result.StandardError).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().ContainSingle().Which.Should().Contain("smb://server/share/a.iso").And.Contain("not supported");
        (result.StandardOutput + result.StandardError).Should().NotContain("pw");
    }

    [Test]
    public async Task ServesAWebImageUntilInterrupted()
    {
        await using var nginx = await NginxServer.StartAsync();
        var image = new byte[3 * 1024 * 1024];
        new Random(5).NextBytes(image);
        await File.WriteAllBytesAsync(Path.Combine(nginx.Root, "disk.img"), image);
        using var directory = new TempDirectory("vm-serve");
        var passwordFile = directory.Combine("password");
        await File.WriteAllTextAsync(passwordFile, NginxServer.Password + "\n");
        var socket = directory.Combine("run/nbd.sock");

        using var serve = ExternalProcess.Start(ServiceProcess.Program,
        [
            "serve", nginx.HttpsUrl("private/disk.img"), "--socket", socket,
            "--ca-dir", nginx.CaDirectory, "--user", NginxServer.User, "--password-file", passwordFile,
        ]);
        var output = serve.StandardOutput.ReadToEndAsync();
        try
        {
            await WaitForSocketAsync(serve, socket);
            var info = await NbdPeers.InfoJsonAsync($"nbd+unix:///?socket={socket}");
            info.GetProperty("export-size").GetInt64().Should().Be(image.Length);
        }
        finally
        {
            await ExternalProcess.StopAsync(serve);
        }

        serve.ExitCode.Should().Be(0);
        File.Exists(socket).Should().BeFalse("the socket is removed on stop");
        var log = await output;
        log.Should().Contain("Serving").And.Contain("Stopped").And.NotContain(NginxServer.Password);
    }

    private static async Task WaitForSocketAsync(Process serve, string socket)
    {
        var deadline = Stopwatch.StartNew();
        while (!File.Exists(socket))
        {
            if (serve.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(20))
            {
                Assert.Fail($"serve did not listen: {await serve.StandardError.ReadToEndAsync()}");
            }

            await Task.Delay(50);
        }
    }
}
