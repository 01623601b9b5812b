using System.Buffers.Binary;
using System.Threading.Channels;
using VirtualMedia.Nbd.Protocol;

namespace VirtualMedia.Nbd.Server;

/// <summary>The transmission phase of one client: reads requests, serves up to a bound of them at once, replies out of order.</summary>
internal sealed class NbdConnection : IDisposable
{
    private readonly Stream _stream;
    private readonly NbdStreamReader _reader;
    private readonly NegotiatedExport _negotiated;
    private readonly NbdExport _export;
    private readonly IImageSource _source;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Channel<NbdRequest> _free;
    private readonly NbdRequestPool _pool;
    private readonly int _slots;

    public NbdConnection(Stream stream, NbdStreamReader reader, NegotiatedExport negotiated, NbdRequestPool pool, int maxInFlight)
    {
        _stream = stream;
        _reader = reader;
        _negotiated = negotiated;
        _export = negotiated.Export;
        _source = _export.Source;
        _pool = pool;
        _slots = maxInFlight;
        _free = Channel.CreateBounded<NbdRequest>(maxInFlight);
        for (var i = 0; i < maxInFlight; i++)
        {
            _free.Writer.TryWrite(pool.Rent());
        }
    }

    /// <summary>Serves requests until DISC, end of stream or cancellation; in-flight requests are answered first.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var failure = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            await ReadRequestsAsync(failure);
        }
        catch
        {
            await failure.CancelAsync();
            throw;
        }
        finally
        {
            // Every slot back means every started request has been answered (or abandoned): the buffers are free.
            for (var i = 0; i < _slots; i++)
            {
                _pool.Return(await _free.Reader.ReadAsync(CancellationToken.None));
            }
        }
    }

    public void Dispose() => _writeLock.Dispose();

    private async Task ReadRequestsAsync(CancellationTokenSource failure)
    {
        var cancellationToken = failure.Token;
        while (true)
        {
            var request = await _free.Reader.ReadAsync(cancellationToken);
            var dispatched = false;
            try
            {
                if (!await ReadRequestAsync(request, cancellationToken))
                {
                    return;
                }

                _export.NoteRequest();
                dispatched = true;

                // Served inline as far as it goes without waiting (a cache hit answers before the next request is
                // read); whatever has to wait continues on its own while the next requests are read.
                _ = ServeRequestAsync(request, failure);
            }
            finally
            {
                if (!dispatched)
                {
                    _free.Writer.TryWrite(request);
                }
            }
        }
    }

    /// <summary>Reads and validates one request (and a WRITE's payload); false on end of stream or DISC.</summary>
    private async ValueTask<bool> ReadRequestAsync(NbdRequest request, CancellationToken cancellationToken)
    {
        if (!await _reader.TryFillAsync(NbdConstants.RequestHeaderSize, cancellationToken))
        {
            return false;
        }

        var header = _reader.Take(NbdConstants.RequestHeaderSize).Span;
        if (BinaryPrimitives.ReadUInt32BigEndian(header) != NbdConstants.RequestMagic)
        {
            throw new InvalidDataException("bad NBD request magic");
        }

        request.Flags = (NbdCommandFlags)BinaryPrimitives.ReadUInt16BigEndian(header[4..]);
        request.Command = (NbdCommand)BinaryPrimitives.ReadUInt16BigEndian(header[6..]);
        request.Handle = BinaryPrimitives.ReadUInt64BigEndian(header[8..]);
        request.Offset = BinaryPrimitives.ReadUInt64BigEndian(header[16..]);
        request.Length = BinaryPrimitives.ReadUInt32BigEndian(header[24..]);
        if (request.Command == NbdCommand.Disconnect)
        {
            return false;
        }

        if (request.Command == NbdCommand.Write)
        {
            if (request.Length > NbdConstants.MaxPayload)
            {
                // The payload cannot be skipped safely at this size: closing is the only sane answer.
                throw new InvalidDataException($"write of {request.Length} bytes exceeds the advertised maximum");
            }

            request.Reserve();
            await _reader.ReadExactlyAsync(request.Data, cancellationToken);
        }

        request.Error = NbdRequestValidator.Validate(request, _negotiated);
        if (request.Command == NbdCommand.Read && request.Error == Errno.None)
        {
            request.Reserve();
        }

        return true;
    }

    private async Task ServeRequestAsync(NbdRequest request, CancellationTokenSource failure)
    {
        var cancellationToken = failure.Token;
        try
        {
            if (request.Error == Errno.None)
            {
                request.Error = await ExecuteAsync(request, cancellationToken);
            }

            await ReplyAsync(request, cancellationToken);
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            // The connection is going down; its reader reports why.
        }
        catch (Exception)
        {
            // Replies can no longer be sent: stop reading too.
            await failure.CancelAsync();
        }
        finally
        {
            request.Release();
            _free.Writer.TryWrite(request);
        }
    }

    private async ValueTask<Errno> ExecuteAsync(NbdRequest request, CancellationToken cancellationToken)
    {
        try
        {
            switch (request.Command)
            {
                case NbdCommand.Read:
                    await _source.ReadAsync((long)request.Offset, request.Data, cancellationToken);
                    _export.NoteRead((int)request.Length);
                    break;
                case NbdCommand.Write:
                    await _source.WriteAsync((long)request.Offset, request.Data, cancellationToken);
                    if ((request.Flags & NbdCommandFlags.Fua) != 0)
                    {
                        await _source.FlushAsync(cancellationToken);
                    }

                    _export.NoteWrite((int)request.Length);
                    break;
                case NbdCommand.Flush:
                    await _source.FlushAsync(cancellationToken);
                    break;
                case NbdCommand.Trim:
                    await _source.TrimAsync((long)request.Offset, request.Length, cancellationToken);
                    break;
                default:
                    return Errno.EINVAL;
            }

            return Errno.None;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return NbdErrors.FromException(e);
        }
    }

    private async ValueTask ReplyAsync(NbdRequest request, CancellationToken cancellationToken)
    {
        var isRead = request.Command == NbdCommand.Read;
        var (start, length) = (isRead && _negotiated.StructuredReplies, request.Error == Errno.None) switch
        {
            (true, true) => StructuredData(request),
            (true, false) => StructuredError(request),
            _ => SimpleReply(request, withData: isRead && request.Error == Errno.None),
        };

        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            await _stream.WriteAsync(request.Buffer.AsMemory(start, length), cancellationToken);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private static (int Start, int Length) SimpleReply(NbdRequest request, bool withData)
    {
        var start = NbdRequest.HeaderRoom - NbdConstants.SimpleReplyHeaderSize;
        var header = request.Buffer.AsSpan(start);
        BinaryPrimitives.WriteUInt32BigEndian(header, NbdConstants.SimpleReplyMagic);
        BinaryPrimitives.WriteUInt32BigEndian(header[4..], (uint)request.Error);
        BinaryPrimitives.WriteUInt64BigEndian(header[8..], request.Handle);
        return (start, NbdConstants.SimpleReplyHeaderSize + (withData ? (int)request.Length : 0));
    }

    private static (int Start, int Length) StructuredData(NbdRequest request)
    {
        var start = NbdRequest.HeaderRoom - NbdConstants.StructuredReadHeaderSize;
        var header = request.Buffer.AsSpan(start);
        WriteChunkHeader(header, NbdConstants.ReplyTypeOffsetData, request.Handle, 8 + request.Length);
        BinaryPrimitives.WriteUInt64BigEndian(header[20..], request.Offset);
        return (start, NbdConstants.StructuredReadHeaderSize + (int)request.Length);
    }

    private static (int Start, int Length) StructuredError(NbdRequest request)
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
