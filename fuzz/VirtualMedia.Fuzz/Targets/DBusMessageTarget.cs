using Microsoft.Win32.SafeHandles;
using VirtualMedia.DBus;

namespace VirtualMedia.Fuzz.Targets;

/// <summary>Received D-Bus bytes, as a connection reads them: frame after frame, each parsed, validated and its body read.</summary>
/// <remarks>
/// A refused message is a <see cref="DBusProtocolException"/>. A message the parser accepted must then read back
/// value by value in signature order without any exception: that is the promise <see cref="MessageReader"/> makes.
/// </remarks>
public sealed class DBusMessageTarget : IFuzzTarget
{
    public string Name => "dbus-message";

    public Task RunAsync(ReadOnlyMemory<byte> input)
    {
        var offset = 0;
        while (input.Length - offset >= MessageParser.FixedHeaderLength)
        {
            var rest = input[offset..];
            MessageFrame frame;
            try
            {
                frame = MessageParser.ReadFrame(rest.Span[..MessageParser.FixedHeaderLength]);
            }
            catch (DBusProtocolException)
            {
                break;
            }

            if (frame.Length > rest.Length)
            {
                break;
            }

            Parse(rest[..frame.Length], frame);
            offset += frame.Length;
        }

        return Task.CompletedTask;
    }

    private static void Parse(ReadOnlyMemory<byte> bytes, MessageFrame frame)
    {
        var parser = new MessageParser();
        parser.TryReadReturnAddress(bytes.Span[..frame.HeaderLength], out _, out _);
        using var message = new DBusMessage();
        try
        {
            if (!parser.TryParse(message, bytes.ToArray(), frame.Length, new Queue<SafeFileHandle>(), _ => { }))
            {
                return;
            }
        }
        catch (DBusProtocolException)
        {
            return;
        }

        var reader = message.GetReader();
        var signature = message.Signature;
        for (var i = 0; i < signature.Length; i += Signature.CompleteTypeLength(signature, i))
        {
            DBusValue.Read(reader, signature.Substring(i, Signature.CompleteTypeLength(signature, i)));
        }

        if (!reader.AtEnd)
        {
            throw new Harness.FuzzFindingException("a validated body has bytes past its signature's values");
        }
    }
}
