using System.Buffers.Binary;
using VirtualMedia.Nbd.Protocol;

namespace VirtualMedia.Nbd.Server;

/// <summary>Writes a reply header in place in front of a request's data; returns the part of its buffer to send.</summary>
internal static class NbdReplyHeaders
{
    public static (int Start, int Length) Simple(NbdRequest request, bool withData)
    {
        var start = NbdRequest.HeaderRoom - NbdConstants.SimpleReplyHeaderSize;
        var header = request.Buffer.AsSpan(start);
        BinaryPrimitives.WriteUInt32BigEndian(header, NbdConstants.SimpleReplyMagic);
        BinaryPrimitives.WriteUInt32BigEndian(header[4..], (uint)request.Error);
        BinaryPrimitives.WriteUInt64BigEndian(header[8..], request.Handle);
        return (start, NbdConstants.SimpleReplyHeaderSize + (withData ? (int)request.Length : 0));
    }

    public static (int Start, int Length) StructuredData(NbdRequest request)
    {
        var start = NbdRequest.HeaderRoom - NbdConstants.StructuredReadHeaderSize;
        var header = request.Buffer.AsSpan(start);
        WriteChunkHeader(header, NbdConstants.ReplyTypeOffsetData, request.Handle, 8 + request.Length);
        BinaryPrimitives.WriteUInt64BigEndian(header[20..], request.Offset);
        return (start, NbdConstants.StructuredReadHeaderSize + (int)request.Length);
    }

    public static (int Start, int Length) StructuredError(NbdRequest request)
    {
        const int ErrorChunkSize = 26;
        var header = request.Buffer.AsSpan(0, ErrorChunkSize);
        WriteChunkHeader(header, NbdConstants.ReplyTypeError, request.Handle, 6);
        BinaryPrimitives.WriteUInt32BigEndian(header[20..], (uint)request.Error);
        BinaryPrimitives.WriteUInt16BigEndian(header[24..], 0);
        return (0, ErrorChunkSize);
    }

    private static void WriteChunkHeader(Span<byte> header, ushort type, ulong handle, uint length)
    {
        BinaryPrimitives.WriteUInt32BigEndian(header, NbdConstants.StructuredReplyMagic);
        BinaryPrimitives.WriteUInt16BigEndian(header[4..], NbdConstants.ReplyFlagDone);
        BinaryPrimitives.WriteUInt16BigEndian(header[6..], type);
        BinaryPrimitives.WriteUInt64BigEndian(header[8..], handle);
        BinaryPrimitives.WriteUInt32BigEndian(header[16..], length);
    }
}
