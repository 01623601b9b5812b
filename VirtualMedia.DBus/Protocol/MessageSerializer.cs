namespace VirtualMedia.DBus;

/// <summary>Writes the header of an outgoing message (its body goes out as a second buffer, unchanged).</summary>
internal static class MessageSerializer
{
    /// <summary>Rents and fills a header for a message with <paramref name="body"/>; the caller disposes it.</summary>
    public static MessageBody WriteHeader(
        MessageType type,
        MessageFlags flags,
        uint serial,
        MessageBody? body,
        string? path = null,
        string? interfaceName = null,
        string? member = null,
        string? errorName = null,
        uint replySerial = 0,
        string? destination = null)
    {
        var bigEndian = body?.IsBigEndian ?? false;
        var header = MessageBody.Create(string.Empty, bigEndian);
        header.WriteByte(bigEndian ? (byte)'B' : (byte)'l');
        header.WriteByte((byte)type);
        header.WriteByte((byte)flags);
        header.WriteByte(1);
        header.WriteUInt32((uint)(body?.Length ?? 0));
        header.WriteUInt32(serial);
        var fields = header.WriteArrayStart('(');
        if (path is not null)
        {
            Field(header, 1, "o");
            header.WriteObjectPath(path);
        }

        StringField(header, 2, interfaceName);
        StringField(header, 3, member);
        StringField(header, 4, errorName);
        if (replySerial != 0)
        {
            Field(header, 5, "u");
            header.WriteUInt32(replySerial);
        }

        StringField(header, 6, destination);
        if (body is not null && body.Signature.Length > 0)
        {
            Field(header, 8, "g");
            header.WriteSignature(body.Signature);
        }

        if (body is not null && body.UnixFds.Count > 0)
        {
            Field(header, 9, "u");
            header.WriteUInt32((uint)body.UnixFds.Count);
        }

        header.WriteArrayEnd(fields);
        header.WriteStructStart();
        return header;
    }

    private static void StringField(MessageBody header, byte code, string? value)
    {
        if (value is not null)
        {
            Field(header, code, "s");
            header.WriteString(value);
        }
    }

    private static void Field(MessageBody header, byte code, string signature)
    {
        header.WriteStructStart();
        header.WriteByte(code);
        header.WriteSignature(signature);
    }
}
