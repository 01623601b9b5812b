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
            ConfigurationLoader.Parse("/etc/virtual-media.json", text, out _);
        }
        catch (ConfigurationException e)
        {
            // Values are cut to 64 characters; the rest of the line is file, slot, field and a fixed sentence.
            if (e.Message.Length > 512 || e.Message.Contains('\n', StringComparison.Ordinal))
            {
                throw new Harness.FuzzFindingException($"the error is not one short line ({e.Message.Length} characters)");
            }
        }

        return Task.CompletedTask;
    }
}
