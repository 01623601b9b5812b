using System.Text;
using VirtualMedia.Service.Configuration;

namespace VirtualMedia.Fuzz.Targets;

/// <summary>The configuration loader, fed a file's bytes (decoded as <see cref="File.ReadAllText(string)"/> does).</summary>
/// <remarks>A bad file is one <see cref="ConfigurationException"/> (exit code 78); its message must stay one short line.</remarks>
public sealed class ConfigurationTarget : IFuzzTarget
{
    public string Name => "configuration";

    public Task RunAsync(ReadOnlyMemory<byte> input)
    {
        var text = Encoding.UTF8.GetString(input.Span);
        try
        {
            ConfigurationLoader.Parse("/etc/virtual-media.json", text, out var warnings);
            foreach (var warning in warnings)
            {
                CheckOneLine(warning);
            }
        }
        catch (ConfigurationException e)
        {
            CheckOneLine(e.Message);
        }

        return Task.CompletedTask;
    }

    /// <summary>Values are cut to 64 characters, with control characters escaped; the rest of the line is the file,
    /// slot, field and a fixed sentence.</summary>
    private static void CheckOneLine(string line)
    {
        if (line.Length > 512 || line.Any(c => char.IsControl(c) || c is '\u2028' or '\u2029'))
        {
            throw new Harness.FuzzFindingException($"the error or warning is not one short line ({line.Length} characters)");
        }
    }
}
