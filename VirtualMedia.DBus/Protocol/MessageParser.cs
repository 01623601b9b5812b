using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace VirtualMedia.DBus;

/// <summary>Turns received bytes into validated <see cref="DBusMessage"/>s; anything malformed throws <see cref="DBusProtocolException"/>.</summary>
internal sealed class MessageParser
{
    public const int FixedHeaderLength = 16;

    private const byte FieldPath = 1;
    private const byte FieldInterface = 2;
    private const byte FieldMember = 3;
    private const byte FieldErrorName = 4;
    private const byte FieldReplySerial = 5;
    private const byte FieldDestination = 6;
    private const byte FieldSender = 7;
    private const byte FieldSignature = 8;
    private const byte FieldUnixFds = 9;

    private readonly StringCache _strings = new();

    /// <summary>The frame of the message whose first 16 bytes are given.</summary>
    /// <remarks>
    /// Throws only when the framing itself is garbage (endianness, version, lengths over the specification's
    /// limits): then where the next message starts is unknown and the connection cannot go on. A message
    /// merely bigger than a connection accepts still has a sane frame, so the reader can skip it.
    /// </remarks>
    public static MessageFrame ReadFrame(ReadOnlySpan<byte> header)
    {
        var bigEndian = header[0] switch
        {
            (byte)'l' => false,
            (byte)'B' => true,
            _ => throw new DBusProtocolException($"malformed message: endianness byte 0x{header[0]:x2}"),
        };
        if (header[3] != 1)
        {
            throw new DBusProtocolException($"malformed message: protocol version {header[3]}");
        }

        var bodyLength = ReadUInt32(header[4..], bigEndian);
        var fieldsLength = ReadUInt32(header[12..], bigEndian);
        var headerLength = FixedHeaderLength + (((ulong)fieldsLength + 7) & ~7ul);
        var total = headerLength + bodyLength;
        if (fieldsLength > ProtocolLimits.MaxArrayLength || total > ProtocolLimits.MaxMessageSize)
        {
            throw new DBusProtocolException($"message of {total} bytes exceeds the specification's limit of {ProtocolLimits.MaxMessageSize}");
        }

        return new MessageFrame((int)total, (int)headerLength);
    }

    /// <summary>Reads the header of a message that is refused (its whole header, up to <see cref="MessageFrame.HeaderLength"/>)
    /// for where an answer would go; false when the header itself is malformed.</summary>
    public bool TryReadReturnAddress(ReadOnlySpan<byte> header, out string? sender, out uint replySerial)
    {
        sender = null;
        replySerial = 0;
        var bigEndian = header[0] == (byte)'B';
        var fieldsLength = (int)ReadUInt32(header[12..], bigEndian);
        var fields = default(Header);
        try
        {
            ReadFields(header, bigEndian, fieldsLength, ref fields);
        }
        catch (DBusProtocolException)
        {
            return false;
        }

        sender = fields.Sender;
        replySerial = fields.ReplySerial;
        return true;
    }

    /// <summary>Parses one complete message; returns false for a message of unknown type (the specification says to ignore it).</summary>
    public bool TryParse(DBusMessage message, byte[] buffer, int length, Queue<SafeFileHandle> fds, Action<byte[]> returnBuffer)
    {
        var data = buffer.AsSpan(0, length);
        var bigEndian = data[0] == (byte)'B';
        var type = data[1];
        var serial = ReadUInt32(data[8..], bigEndian);
        if (serial == 0)
        {
            throw new DBusProtocolException("malformed message: serial 0");
        }

        var fieldsLength = (int)ReadUInt32(data[12..], bigEndian);
        var bodyStart = (FixedHeaderLength + fieldsLength + 7) & ~7;
        var header = default(Header);
        ReadFields(data, bigEndian, fieldsLength, ref header);

        if (header.UnixFds > (uint)fds.Count)
        {
            throw new DBusProtocolException($"malformed message: it claims {header.UnixFds} unix fds, {fds.Count} arrived");
        }

        var messageFds = header.UnixFds == 0 ? [] : new SafeFileHandle?[header.UnixFds];
        for (var i = 0; i < messageFds.Length; i++)
        {
            messageFds[i] = fds.Dequeue();
        }

        message.SetContent(buffer, length, bodyStart, messageFds, returnBuffer);
        if (type is < 1 or > 4)
        {
            return false;
        }

        CheckRequiredFields((MessageType)type, header);
        var body = new WireValidator(data[bodyStart..], bodyStart, bigEndian, messageFds.Length);
        body.ValidateBody(data.Slice(header.SignatureOffset, header.SignatureLength));
        message.Type = (MessageType)type;
        message.Flags = (MessageFlags)data[2];
        message.Serial = serial;
        message.IsBigEndian = bigEndian;
        message.ReplySerial = header.ReplySerial;
        message.Path = header.Path;
        message.Interface = header.Interface;
        message.Member = header.Member;
        message.ErrorName = header.ErrorName;
        message.Destination = header.Destination;
        message.Sender = header.Sender;
        message.Signature = header.Signature ?? string.Empty;
        return true;
    }

    private static void CheckRequiredFields(MessageType type, in Header header)
    {
        var missing = type switch
        {
            MessageType.MethodCall when header.Path is null || header.Member is null => "PATH and MEMBER",
            MessageType.Signal when header.Path is null || header.Interface is null || header.Member is null => "PATH, INTERFACE and MEMBER",
            MessageType.Error when header.ErrorName is null || header.ReplySerial == 0 => "ERROR_NAME and REPLY_SERIAL",
            MessageType.MethodReturn when header.ReplySerial == 0 => "REPLY_SERIAL",
            _ => null,
        };
        if (missing is not null)
        {
            throw new DBusProtocolException($"malformed message: a {type} needs {missing}");
        }

        if (header.Path == "/org/freedesktop/DBus/Local" || header.Interface == "org.freedesktop.DBus.Local")
        {
            throw new DBusProtocolException("malformed message: the reserved Local path or interface");
        }
    }

    private static uint ReadUInt32(ReadOnlySpan<byte> span, bool bigEndian) =>
        bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(span) : BinaryPrimitives.ReadUInt32LittleEndian(span);

    private void ReadFields(ReadOnlySpan<byte> data, bool bigEndian, int fieldsLength, ref Header header)
    {
        var bodyStart = (FixedHeaderLength + fieldsLength + 7) & ~7;
        var fields = new WireValidator(data[FixedHeaderLength..(FixedHeaderLength + fieldsLength)], FixedHeaderLength, bigEndian, 0);
        while (!fields.AtEnd)
        {
            ReadField(ref fields, ref header);
        }

        if (data[(FixedHeaderLength + fieldsLength)..bodyStart].ContainsAnyExcept((byte)0))
        {
            throw new DBusProtocolException("malformed message: header padding is not zero");
        }
    }

    private void ReadField(ref WireValidator fields, ref Header header)
    {
        fields.Align(8);
        var code = fields.ReadByte();
        var signature = fields.ReadSignature();
        var expected = code switch
        {
            FieldPath => "o"u8,
            FieldInterface or FieldMember or FieldErrorName or FieldDestination or FieldSender => "s"u8,
            FieldReplySerial or FieldUnixFds => "u"u8,
            FieldSignature => "g"u8,
            _ => default,
        };
        // Unknown codes must be ignored, and may recur; only the known ones go into Seen, which also
        // keeps codes past 31 from wrapping onto a known code's bit (shift counts are taken mod 32).
        if (code is >= FieldPath and <= FieldUnixFds)
        {
            if (!signature.SequenceEqual(expected))
            {
                throw fields.Fail($"header field {code} has type '{System.Text.Encoding.ASCII.GetString(signature)}'");
            }

            if ((header.Seen & (1 << code)) != 0)
            {
                throw fields.Fail($"header field {code} appears twice");
            }

            header.Seen |= 1 << code;
        }

        switch (code)
        {
            case FieldPath: header.Path = _strings.Get(fields.ReadString(objectPath: true)); break;
            case FieldInterface: header.Interface = Name(fields.ReadString(false), NameKind.Interface, ref fields); break;
            case FieldMember: header.Member = Name(fields.ReadString(false), NameKind.Member, ref fields); break;
            case FieldErrorName: header.ErrorName = Name(fields.ReadString(false), NameKind.Interface, ref fields); break;
            case FieldReplySerial:
                header.ReplySerial = fields.ReadUInt32();
                if (header.ReplySerial == 0)
                {
                    throw fields.Fail("REPLY_SERIAL is 0");
                }

                break;
            case FieldDestination: header.Destination = Name(fields.ReadString(false), NameKind.Bus, ref fields); break;
            case FieldSender: header.Sender = Name(fields.ReadString(false), NameKind.Bus, ref fields); break;
            case FieldSignature:
                var bytes = fields.ReadSignature();
                header.SignatureOffset = FixedHeaderLength + fields.Position - 1 - bytes.Length;
                header.SignatureLength = bytes.Length;
                header.Signature = _strings.Get(bytes);
                break;
            case FieldUnixFds: header.UnixFds = fields.ReadUInt32(); break;
            default:
                if (!Signature.IsSingleCompleteType(System.Text.Encoding.ASCII.GetString(signature)))
                {
                    throw fields.Fail("a header field's variant holds no single complete type");
                }

                var index = 0;
                fields.ValidateValue(signature, ref index, 0, 0, 1);
                break;
        }
    }

    private string Name(ReadOnlySpan<byte> bytes, NameKind kind, ref WireValidator fields)
    {
        var value = _strings.Get(bytes);
        var valid = kind switch
        {
            NameKind.Interface => ObjectPath.IsValidInterfaceName(value),
            NameKind.Member => ObjectPath.IsValidMemberName(value),
            _ => ObjectPath.IsValidBusName(value),
        };
        return valid ? value : throw fields.Fail($"'{value}' is not a valid name");
    }

    private enum NameKind
    {
        Interface,
        Member,
        Bus,
    }

    private struct Header
    {
        public int Seen;
        public string? Path;
        public string? Interface;
        public string? Member;
        public string? ErrorName;
        public uint ReplySerial;
        public string? Destination;
        public string? Sender;
        public string? Signature;
        public int SignatureOffset;
        public int SignatureLength;
        public uint UnixFds;
    }
}
