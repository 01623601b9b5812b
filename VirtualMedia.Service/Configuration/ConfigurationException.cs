namespace VirtualMedia.Service.Configuration;

/// <summary>The configuration file is unusable; the message names the file, the slot and the field.</summary>
public sealed class ConfigurationException : Exception
{
    public ConfigurationException(string file, string? slot, string? field, string problem)
        : base(Describe(file, slot, field, problem))
    {
        File = file;
        Slot = slot;
        Field = field;
    }

    /// <summary>The configuration file.</summary>
    public string File { get; }

    /// <summary>The slot the problem is in, or null for a top-level key.</summary>
    public string? Slot { get; }

    /// <summary>The key that is wrong, or null when the whole file is.</summary>
    public string? Field { get; }

    private static string Describe(string file, string? slot, string? field, string problem)
    {
        var where = file;
        if (slot is not null)
        {
            where += $": slot {slot}";
        }

        if (field is not null)
        {
            where += $": field {field}";
        }

        return $"{where}: {problem}";
    }
}
