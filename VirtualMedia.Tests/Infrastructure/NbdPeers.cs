using System.Security.Cryptography;
using System.Text.Json;
namespace VirtualMedia.Tests.Infrastructure;

/// <summary>Runs libnbd's and qemu's NBD clients against an export.</summary>
public static class NbdPeers
{
    /// <summary>nbdsh is python3 -mnbd: the Debian python3 (with python3-libnbd) must win over pyenv shims.</summary>
    private static readonly Dictionary<string, string> SystemPython = new()
    {
        ["PATH"] = "/usr/bin:/bin:/usr/sbin:/sbin",
    };

    public static async Task<JsonElement> InfoJsonAsync(string uri)
    {
        var result = (await ExternalProcess.RunAsync(Require.Tool("nbdinfo"), ["--json", uri]))
            .EnsureSuccess("nbdinfo");
        using var document = JsonDocument.Parse(result.StandardOutput);
        return document.RootElement.GetProperty("exports")[0].Clone();
    }

    /// <summary>Copies the whole export with nbdcopy and returns the sha256 of what arrived.</summary>
    public static async Task<string> CopySha256Async(string uri, string target, params string[] options)
    {
        (await ExternalProcess.RunAsync(Require.Tool("nbdcopy"), [.. options, uri, target], TimeSpan.FromSeconds(60)))
            .EnsureSuccess("nbdcopy");
        return await Sha256Async(target);
    }

    public static Task<ProcessResult> NbdshAsync(string uri, string script)
    {
        Require.Tool("nbdsh");
        if (!File.Exists("/usr/bin/python3"))
        {
            Require.Missing("/usr/bin/python3 (with python3-libnbd)");
        }

        return ExternalProcess.RunAsync("/usr/bin/nbdsh", ["-u", uri, "-c", script], environment: SystemPython);
    }

    public static async Task<string> Sha256Async(string path)
    {
        await using var file = File.OpenRead(path);
        return Convert.ToHexString(await SHA256.HashDataAsync(file));
    }
}
