using System.Diagnostics;
using System.Globalization;
using VirtualMedia.Service.ImageSources.Http;
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

    /// <summary>One event thread for every socket where decryption is cheap (RuntimeTuning: a random read then wakes
    /// one thread, not two), one per core where it is the work; an operator's count is kept.</summary>
    [TestCase(null, TestName = "Socket event threads: one where AES is in hardware, else one per core")]
    [TestCase("2", TestName = "Socket event threads: an operator's count is kept")]
    public async Task SocketEventThreads(string? operatorCount)
    {
        await using var nginx = await NginxServer.StartAsync();
        await File.WriteAllBytesAsync(Path.Combine(nginx.Root, "disk.img"), new byte[1024 * 1024]);
        using var directory = new TempDirectory("vm-serve");
        var socket = directory.Combine("run/nbd.sock");
        var environment = new Dictionary<string, string>();
        if (operatorCount is not null)
        {
            environment["DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT"] = operatorCount;
        }

        using var serve = ExternalProcess.Start(
            ServiceProcess.Program,
            ["serve", nginx.HttpsUrl("images/disk.img"), "--socket", socket, "--ca-dir", nginx.CaDirectory],
            environment);
        try
        {
            await WaitForSocketAsync(serve, socket);
            (await NbdPeers.CopySha256Async($"nbd+unix:///?socket={socket}", directory.Combine("copy")))
                .Should().Be(await NbdPeers.Sha256Async(Path.Combine(nginx.Root, "disk.img")));
            var expected = operatorCount is not null ? int.Parse(operatorCount, CultureInfo.InvariantCulture)
                : TlsCipherPreference.HasAesInstructions() ? 1
                : Environment.ProcessorCount;
            SocketThreads(serve.Id).Should().Be(expected, "threads named \".NET Sockets\" in /proc/PID/task");
        }
        finally
        {
            await ExternalProcess.StopAsync(serve);
        }
    }

    private static int SocketThreads(int pid) =>
        Directory.GetDirectories($"/proc/{pid}/task").Count(task => ThreadName(task) == ".NET Sockets");

    /// <summary>A thread's name; empty for one that ended meanwhile (a thread-pool worker may).</summary>
    private static string ThreadName(string task)
    {
        try
        {
            return File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n');
        }
        catch (IOException)
        {
            return "";
        }
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
