using System.Globalization;
using System.Text;

namespace VirtualMedia.Service.Configuration;

/// <summary>The configuration file is unusable; the message names the file, the slot and the field.</summary>
internal sealed class ConfigurationException : Exception
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

    /// <summary>The first 64 characters of <paramref name="text"/> and "…" when there are more, control characters and line
    /// separators escaped (<c>\u000a</c>): one error line stays one line, and no value can forge a log line of its own.</summary>
    public static string Excerpt(string text)
    {
        const int Shown = 64;
        ArgumentNullException.ThrowIfNull(text);
        var builder = new StringBuilder(Shown + 8);
        foreach (var c in text.AsSpan(0, Math.Min(text.Length, Shown)))
        {
            if (char.IsControl(c) || c is '\u2028' or '\u2029')
            {
                builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                builder.Append(c);
            }
        }

        return text.Length <= Shown ? builder.ToString() : builder.Append('…').ToString();
    }

    private static string Describe(string file, string? slot, string? field, string problem)
    {
        var where = file;
        if (slot is not null)
        {
            where += $": slot {Excerpt(slot)}";
        }

        if (field is not null)
        {
            where += $": field {Excerpt(field)}";
        }

        return $"{where}: {problem}";
    }
}
