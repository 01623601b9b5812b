using System.Text;

namespace VirtualMedia.DBus;

/// <summary>A bus match rule (<c>type='signal',interface='…',member='…'</c>) and the same filter applied locally.</summary>
public sealed record MatchRule
{
    /// <summary>Message type to match (usually <see cref="MessageType.Signal"/>).</summary>
    public MessageType? Type { get; init; } = MessageType.Signal;

    /// <summary>Sender bus name (unique or well-known as given to the bus).</summary>
    public string? Sender { get; init; }

    /// <summary>Exact object path.</summary>
    public string? Path { get; init; }

    /// <summary>Object path and everything below it.</summary>
    public string? PathNamespace { get; init; }

    /// <summary>Interface name.</summary>
    public string? Interface { get; init; }

    /// <summary>Member name.</summary>
    public string? Member { get; init; }

    /// <summary>The first argument, when it is a string equal to this.</summary>
    public string? Arg0 { get; init; }

    /// <summary>The rule text sent to <c>AddMatch</c>.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        Append(text, "type", Type switch
        {
            MessageType.MethodCall => "method_call",
            MessageType.MethodReturn => "method_return",
            MessageType.Error => "error",
            MessageType.Signal => "signal",
            _ => null,
        });
        Append(text, "sender", Sender);
        Append(text, "path", Path);
        Append(text, "path_namespace", PathNamespace);
        Append(text, "interface", Interface);
        Append(text, "member", Member);
        Append(text, "arg0", Arg0);
        return text.ToString();
    }

    /// <summary>True when <paramref name="message"/> passes this rule (sender is compared only when it is a unique name).</summary>
    public bool Matches(DBusMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return (Type is null || message.Type == Type)
            && (Sender is null || !Sender.StartsWith(':') || Sender == message.Sender)
            && (Path is null || Path == message.Path)
            && (PathNamespace is null || InNamespace(message.Path))
            && (Interface is null || Interface == message.Interface)
            && (Member is null || Member == message.Member)
            && (Arg0 is null || FirstStringArgument(message) == Arg0);
    }

    private bool InNamespace(string? path) =>
        path is not null && (PathNamespace == "/" || path == PathNamespace || path.StartsWith(PathNamespace + "/", StringComparison.Ordinal));

    private static string? FirstStringArgument(DBusMessage message) =>
        message.Signature.Length > 0 && message.Signature[0] == 's' ? message.GetReader().ReadString() : null;

    private static void Append(StringBuilder text, string key, string? value)
    {
        if (value is null)
        {
            return;
        }

        if (text.Length > 0)
        {
            text.Append(',');
        }

        text.Append(key).Append("='").Append(value.Replace("'", "'\\''", StringComparison.Ordinal)).Append('\'');
    }
}
