using System.Buffers.Binary;
using System.Text;
using VirtualMedia.Nbd.Protocol;

namespace VirtualMedia.Nbd.Server;

/// <summary>What the option haggling agreed on: the export and the reply style.</summary>
internal sealed record NegotiatedExport(NbdExport Export, bool StructuredReplies, NbdTransmissionFlags Flags);

/// <summary>Server side of the fixed newstyle handshake (option haggling up to transmission).</summary>
internal sealed class NbdHandshake
{
    private const uint MinimumBlockSize = 1;
    private const uint PreferredBlockSize = 4096;

    private readonly Stream _stream;
    private readonly NbdStreamReader _reader;
    private readonly IReadOnlyDictionary<string, NbdExport> _exports;
    private bool _noZeroes;
    private bool _structuredReplies;

    public NbdHandshake(Stream stream, NbdStreamReader reader, IReadOnlyDictionary<string, NbdExport> exports)
    {
        _stream = stream;
        _reader = reader;
        _exports = exports;
    }

    /// <summary>Runs the handshake; null when the client aborted or broke the protocol (the caller closes).</summary>
    public async Task<NegotiatedExport?> NegotiateAsync(CancellationToken cancellationToken)
    {
        var greeting = new byte[18];
        BinaryPrimitives.WriteUInt64BigEndian(greeting, NbdConstants.InitMagic);
        BinaryPrimitives.WriteUInt64BigEndian(greeting.AsSpan(8), NbdConstants.OptionMagic);
        BinaryPrimitives.WriteUInt16BigEndian(
            greeting.AsSpan(16), NbdConstants.HandshakeFixedNewstyle | NbdConstants.HandshakeNoZeroes);
        await _stream.WriteAsync(greeting, cancellationToken).ConfigureAwait(false);

        if (!await _reader.TryFillAsync(4, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var clientFlags = BinaryPrimitives.ReadUInt32BigEndian(_reader.Take(4).Span);
        if ((clientFlags & ~(NbdConstants.ClientFixedNewstyle | NbdConstants.ClientNoZeroes)) != 0)
        {
            return null;
        }

        _noZeroes = (clientFlags & NbdConstants.ClientNoZeroes) != 0;
        while (true)
        {
            if (!await _reader.TryFillAsync(16, cancellationToken).ConfigureAwait(false))
            {
                return null;
            }

            var header = _reader.Take(16).Span;
            if (BinaryPrimitives.ReadUInt64BigEndian(header) != NbdConstants.OptionMagic)
            {
                return null;
            }

            var option = (NbdOption)BinaryPrimitives.ReadUInt32BigEndian(header[8..]);
            var length = BinaryPrimitives.ReadUInt32BigEndian(header[12..]);
            if (length > NbdConstants.MaxOptionLength)
            {
                return null;
            }

            var data = (await _reader.ReadAsync((int)length, cancellationToken).ConfigureAwait(false)).ToArray();
            var outcome = await HandleOptionAsync(option, data, cancellationToken).ConfigureAwait(false);
            if (outcome.Done)
            {
                return outcome.Result;
            }
        }
    }

    private async Task<(bool Done, NegotiatedExport? Result)> HandleOptionAsync(
        NbdOption option, byte[] data, CancellationToken cancellationToken)
    {
        switch (option)
        {
            case NbdOption.ExportName:
                return (true, await ExportNameAsync(data, cancellationToken).ConfigureAwait(false));
            case NbdOption.Abort:
                await ReplyAsync(option, NbdOptionReply.Ack, [], cancellationToken).ConfigureAwait(false);
                return (true, null);
            case NbdOption.List:
                await ListAsync(data, cancellationToken).ConfigureAwait(false);
                return (false, null);
            case NbdOption.StructuredReply:
                if (data.Length != 0)
                {
                    await ReplyAsync(option, NbdOptionReply.ErrInvalid, [], cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    _structuredReplies = true;
                    await ReplyAsync(option, NbdOptionReply.Ack, [], cancellationToken).ConfigureAwait(false);
                }

                return (false, null);
            case NbdOption.Info:
            case NbdOption.Go:
                var export = await InfoAsync(option, data, cancellationToken).ConfigureAwait(false);
                return option == NbdOption.Go && export is not null ? (true, export) : (false, null);
            default:
                await ReplyAsync(option, NbdOptionReply.ErrUnsupported, [], cancellationToken).ConfigureAwait(false);
                return (false, null);
        }
    }

    private async Task<NegotiatedExport?> ExportNameAsync(byte[] data, CancellationToken cancellationToken)
    {
        if (!_exports.TryGetValue(Encoding.UTF8.GetString(data), out var export))
        {
            // NBD_OPT_EXPORT_NAME has no error reply: closing is the only answer.
            return null;
        }

        var negotiated = Negotiated(export);
        var reply = new byte[_noZeroes ? 10 : 134];
        BinaryPrimitives.WriteInt64BigEndian(reply, export.Source.Size);
        BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(8), (ushort)negotiated.Flags);
        await _stream.WriteAsync(reply, cancellationToken).ConfigureAwait(false);
        return negotiated;
    }

    private async Task ListAsync(byte[] data, CancellationToken cancellationToken)
    {
        if (data.Length != 0)
        {
            await ReplyAsync(NbdOption.List, NbdOptionReply.ErrInvalid, [], cancellationToken).ConfigureAwait(false);
            return;
        }

        foreach (var name in _exports.Keys)
        {
            var encoded = Encoding.UTF8.GetBytes(name);
            var entry = new byte[4 + encoded.Length];
            BinaryPrimitives.WriteInt32BigEndian(entry, encoded.Length);
            encoded.CopyTo(entry, 4);
            await ReplyAsync(NbdOption.List, NbdOptionReply.Server, entry, cancellationToken).ConfigureAwait(false);
        }

        await ReplyAsync(NbdOption.List, NbdOptionReply.Ack, [], cancellationToken).ConfigureAwait(false);
    }

    private async Task<NegotiatedExport?> InfoAsync(NbdOption option, byte[] data, CancellationToken cancellationToken)
    {
        if (!TryParseInfoRequest(data, out var name, out var requested))
        {
            await ReplyAsync(option, NbdOptionReply.ErrInvalid, [], cancellationToken).ConfigureAwait(false);
            return null;
        }

        if (!_exports.TryGetValue(name, out var export))
        {
            await ReplyAsync(option, NbdOptionReply.ErrUnknown, [], cancellationToken).ConfigureAwait(false);
            return null;
        }

        var negotiated = Negotiated(export);
        var info = new byte[12];
        BinaryPrimitives.WriteUInt16BigEndian(info, (ushort)NbdInfo.Export);
        BinaryPrimitives.WriteInt64BigEndian(info.AsSpan(2), export.Source.Size);
        BinaryPrimitives.WriteUInt16BigEndian(info.AsSpan(10), (ushort)negotiated.Flags);
        await ReplyAsync(option, NbdOptionReply.Info, info, cancellationToken).ConfigureAwait(false);

        // Block sizes are always sent: they carry the 32 MiB maximum the server enforces.
        var sizes = new byte[14];
        BinaryPrimitives.WriteUInt16BigEndian(sizes, (ushort)NbdInfo.BlockSize);
        BinaryPrimitives.WriteUInt32BigEndian(sizes.AsSpan(2), MinimumBlockSize);
        BinaryPrimitives.WriteUInt32BigEndian(sizes.AsSpan(6), PreferredBlockSize);
        BinaryPrimitives.WriteUInt32BigEndian(sizes.AsSpan(10), NbdConstants.MaxPayload);
        await ReplyAsync(option, NbdOptionReply.Info, sizes, cancellationToken).ConfigureAwait(false);

        if (requested.Contains(NbdInfo.Name))
        {
            await ReplyAsync(option, NbdOptionReply.Info, TextInfo(NbdInfo.Name, export.Name), cancellationToken).ConfigureAwait(false);
        }

        if (requested.Contains(NbdInfo.Description) && export.Description is not null)
        {
            await ReplyAsync(
                option, NbdOptionReply.Info, TextInfo(NbdInfo.Description, export.Description), cancellationToken).ConfigureAwait(false);
        }

        await ReplyAsync(option, NbdOptionReply.Ack, [], cancellationToken).ConfigureAwait(false);
        return negotiated;
    }

    private static bool TryParseInfoRequest(byte[] data, out string name, out List<NbdInfo> requested)
    {
        name = string.Empty;
        requested = [];
        if (data.Length < 6)
        {
            return false;
        }

        var nameLength = BinaryPrimitives.ReadUInt32BigEndian(data);
        if (nameLength > data.Length - 6)
        {
            return false;
        }

        var count = BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(4 + (int)nameLength));
        if (data.Length != 6 + (int)nameLength + (2 * count))
        {
            return false;
        }

        name = Encoding.UTF8.GetString(data, 4, (int)nameLength);
        for (var i = 0; i < count; i++)
        {
            requested.Add((NbdInfo)BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(6 + (int)nameLength + (2 * i))));
        }

        return true;
    }

    private static byte[] TextInfo(NbdInfo type, string text)
    {
        var encoded = Encoding.UTF8.GetBytes(text);
        var info = new byte[2 + encoded.Length];
        BinaryPrimitives.WriteUInt16BigEndian(info, (ushort)type);
        encoded.CopyTo(info, 2);
        return info;
    }

    private NegotiatedExport Negotiated(NbdExport export)
    {
        var source = export.Source;
        var flags = NbdTransmissionFlags.HasFlags;
        if (!source.IsWritable)
        {
            flags |= NbdTransmissionFlags.ReadOnly;
        }

        if (source.CanFlush)
        {
            flags |= NbdTransmissionFlags.SendFlush | NbdTransmissionFlags.SendFua;
        }

        if (source.IsWritable && source.CanTrim)
        {
            flags |= NbdTransmissionFlags.SendTrim;
        }

        if (source.CanMultiConn)
        {
            flags |= NbdTransmissionFlags.CanMultiConn;
        }

        if (_structuredReplies)
        {
            // Every read is answered by one chunk, so "don't fragment" is always honoured.
            flags |= NbdTransmissionFlags.SendDontFragment;
        }

        return new NegotiatedExport(export, _structuredReplies, flags);
    }

    private async Task ReplyAsync(NbdOption option, NbdOptionReply type, byte[] data, CancellationToken cancellationToken)
    {
        var reply = new byte[20 + data.Length];
        BinaryPrimitives.WriteUInt64BigEndian(reply, NbdConstants.OptionReplyMagic);
        BinaryPrimitives.WriteUInt32BigEndian(reply.AsSpan(8), (uint)option);
        BinaryPrimitives.WriteUInt32BigEndian(reply.AsSpan(12), (uint)type);
        BinaryPrimitives.WriteInt32BigEndian(reply.AsSpan(16), data.Length);
        data.CopyTo(reply, 20);
        await _stream.WriteAsync(reply, cancellationToken).ConfigureAwait(false);
    }
}
