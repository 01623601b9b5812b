using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using VirtualMedia.Nbd.Protocol;

namespace VirtualMedia.Nbd.Server;

/// <summary>The transmission phase of one client: reads requests, serves up to a bound of them at once, replies out of order.</summary>
/// <remarks>
/// Request buffers come from the server's <see cref="NbdBufferBudget"/> before the source is asked; while a request
/// waits for a slot or for room in the budget, the client is still listened to, so a client that hangs up is noticed at
/// once: its source reads are cancelled and their buffers go back. Every task a request starts is joined. Reads from an
/// <see cref="ILendingImageSource"/> take no buffer unless the source declines to lend. The ValueTask methods a request
/// passes through pool their state machines: a random reader's requests each allocated several hundred bytes of them,
/// and under the service's small gen0 budget every MiB allocated is a collection its p99 latency pays for.
/// </remarks>
internal sealed partial class NbdConnection : IDisposable
{
    private readonly Stream _stream;
    private readonly NbdStreamReader _reader;
    private readonly NegotiatedExport _negotiated;
    private readonly NbdExport _export;
    private readonly IImageSource _source;
    private readonly ILendingImageSource? _lender;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Channel<NbdRequest> _free;
    private readonly NbdBufferBudget _budget;
    private readonly int _slots;
    private readonly Action<NbdRequest> _recycle;
    private readonly Action<byte[]> _returnBuffer;

    public NbdConnection(Stream stream, NbdStreamReader reader, NegotiatedExport negotiated, NbdBufferBudget budget, int maxInFlight)
    {
        _stream = stream;
        _reader = reader;
        _negotiated = negotiated;
        _export = negotiated.Export;
        _source = _export.Source;
        _lender = _source as ILendingImageSource;
        _budget = budget;
        _slots = maxInFlight;
        _readWindow = _lender?.LendableBytes ?? long.MaxValue;
        // Made once: a method group passed per request is a new delegate per request.
        _recycle = Recycle;
        _returnBuffer = budget.Return;
        _free = Channel.CreateBounded<NbdRequest>(maxInFlight);
        for (var i = 0; i < maxInFlight; i++)
        {
            _free.Writer.TryWrite(new NbdRequest());
        }
    }

    /// <summary>Serves requests until DISC (in-flight requests are answered first), the client hanging up (they are
    /// cancelled), a broken stream or cancellation.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var connection = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            if (await ReadRequestsAsync(connection).ConfigureAwait(false) == Ending.HungUp)
            {
                // A hard disconnect: nobody is left to read the replies.
                await connection.CancelAsync().ConfigureAwait(false);
            }
        }
        catch
        {
            await connection.CancelAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            // Every slot back means every started request has been answered (or abandoned): its buffer is back too.
            for (var i = 0; i < _slots; i++)
            {
                await _free.Reader.ReadAsync(CancellationToken.None).ConfigureAwait(false);
            }

            await connection.CancelAsync().ConfigureAwait(false);
            await _reader.AbandonReadAheadAsync().ConfigureAwait(false);
        }
    }

    public void Dispose() => _writeLock.Dispose();

    private async Task<Ending> ReadRequestsAsync(CancellationTokenSource connection)
    {
        var cancellationToken = connection.Token;
        while (true)
        {
            if (!await _reader.TryFillAsync(NbdConstants.RequestHeaderSize, cancellationToken).ConfigureAwait(false))
            {
                return Ending.HungUp;
            }

            var header = ParseHeader(_reader.Take(NbdConstants.RequestHeaderSize).Span);
            if (header.Command == NbdCommand.Disconnect)
            {
                return Ending.Disconnected;
            }

            var payload = header.Command == NbdCommand.Write ? header.Length : 0;
            var request = await WhileListeningAsync(_free.Reader.ReadAsync(cancellationToken), _recycle, payload, connection).ConfigureAwait(false);
            if (request is null)
            {
                return Ending.HungUp;
            }

            var dispatched = false;
            try
            {
                (request.Command, request.Flags, request.Handle, request.Offset, request.Length) = header;
                if (!await EnterReadWindowAsync(request, connection).ConfigureAwait(false)
                    || !await PrepareAsync(request, connection).ConfigureAwait(false))
                {
                    return Ending.HungUp;
                }

                _export.NoteRequest();
                dispatched = true;

                // Served inline as far as it goes without waiting (a cache hit answers before the next request is
                // read); whatever has to wait continues on its own while the next requests are read.
                _ = ServeRequestAsync(request, connection);
            }
            finally
            {
                if (!dispatched)
                {
                    Recycle(request);
                }
            }
        }
    }

    private static (NbdCommand Command, NbdCommandFlags Flags, ulong Handle, ulong Offset, uint Length) ParseHeader(
        ReadOnlySpan<byte> header)
    {
        if (BinaryPrimitives.ReadUInt32BigEndian(header) != NbdConstants.RequestMagic)
        {
            throw new InvalidDataException("bad NBD request magic");
        }

        return ((NbdCommand)BinaryPrimitives.ReadUInt16BigEndian(header[6..]),
            (NbdCommandFlags)BinaryPrimitives.ReadUInt16BigEndian(header[4..]),
            BinaryPrimitives.ReadUInt64BigEndian(header[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(header[16..]),
            BinaryPrimitives.ReadUInt32BigEndian(header[24..]));
    }

    /// <summary>Validates the request and gives it a buffer from the budget (reading a WRITE's payload into it); false
    /// when the client hung up while the request waited for room.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> PrepareAsync(NbdRequest request, CancellationTokenSource connection)
    {
        if (request.Command == NbdCommand.Write && request.Length > NbdConstants.MaxPayload)
        {
            // The payload cannot be skipped safely at this size: closing is the only sane answer.
            throw new InvalidDataException($"write of {request.Length} bytes exceeds the advertised maximum");
        }

        request.Error = NbdRequestValidator.Validate(request, _negotiated);
        if (request.NeedsBuffer && !MayLend(request))
        {
            var payload = request.Command == NbdCommand.Write ? request.Length : 0;
            var buffer = await WhileListeningAsync(
                _budget.RentAsync(request.Length, connection.Token), _returnBuffer, payload, connection).ConfigureAwait(false);
            if (buffer is null)
            {
                return false;
            }

            request.Attach(buffer);
        }

        if (request.Command == NbdCommand.Write)
        {
            // The payload is consumed whatever the verdict, so the next request header is found.
            await _reader.ReadExactlyAsync(request.Data, connection.Token).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>Waits for <paramref name="wait"/> while listening to the client; null when the client hangs up
    /// meanwhile: then the connection is cancelled and whatever the wait still yields goes to <paramref name="giveBack"/>.
    /// The current request's <paramref name="pendingPayload"/> bytes are still to be read from the client.</summary>
    private async ValueTask<T?> WhileListeningAsync<T>(
        ValueTask<T> wait, Action<T> giveBack, uint pendingPayload, CancellationTokenSource connection)
        where T : class
    {
        if (wait.IsCompleted)
        {
            return await wait.ConfigureAwait(false);
        }

        var waiting = wait.AsTask();
        while (!waiting.IsCompleted && _reader.ReadAhead(connection.Token) is { } readAhead)
        {
            if (await Task.WhenAny(waiting, readAhead).ConfigureAwait(false) == waiting)
            {
                break;
            }

            bool open;
            try
            {
                open = await _reader.AbsorbReadAheadAsync().ConfigureAwait(false);
            }
            catch
            {
                await AbandonAsync(waiting, giveBack, connection).ConfigureAwait(false);
                throw;
            }

            if (!open)
            {
                if (DisconnectIsQueued(pendingPayload))
                {
                    // A soft disconnect (libnbd shuts its side after NBD_CMD_DISC): requests before it are answered.
                    break;
                }

                await AbandonAsync(waiting, giveBack, connection).ConfigureAwait(false);
                return null;
            }
        }

        return await waiting.ConfigureAwait(false);
    }

    /// <summary>True when the bytes received and not yet read hold an NBD_CMD_DISC after the current request.</summary>
    private bool DisconnectIsQueued(uint pendingPayload)
    {
        var received = _reader.Unread.Span;
        for (var position = (long)pendingPayload; position + NbdConstants.RequestHeaderSize <= received.Length;)
        {
            var header = received.Slice((int)position, NbdConstants.RequestHeaderSize);
            var command = (NbdCommand)BinaryPrimitives.ReadUInt16BigEndian(header[6..]);
            if (command == NbdCommand.Disconnect)
            {
                return true;
            }

            position += NbdConstants.RequestHeaderSize
                + (command == NbdCommand.Write ? BinaryPrimitives.ReadUInt32BigEndian(header[24..]) : 0);
        }

        return false;
    }

    private static async Task AbandonAsync<T>(Task<T> waiting, Action<T> giveBack, CancellationTokenSource connection)
    {
        await connection.CancelAsync().ConfigureAwait(false);
        try
        {
            giveBack(await waiting.ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
            // Cancelled before it got anything: nothing to give back.
        }
    }

    private void Recycle(NbdRequest request)
    {
        if (request.Detach() is { } buffer)
        {
            _budget.Return(buffer);
        }

        LeaveReadWindow(request);
        _free.Writer.TryWrite(request);
    }

    private async Task ServeRequestAsync(NbdRequest request, CancellationTokenSource connection)
    {
        var cancellationToken = connection.Token;
        try
        {
            if (request.Error == Errno.None)
            {
                request.Error = await ExecuteAsync(request, cancellationToken).ConfigureAwait(false);
            }

            await ReplyAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            // The connection is going down; its reader reports why.
        }
        catch (Exception)
        {
            // Replies can no longer be sent: stop reading too.
            await connection.CancelAsync().ConfigureAwait(false);
        }
        finally
        {
            Recycle(request);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Errno> ExecuteAsync(NbdRequest request, CancellationToken cancellationToken)
    {
        try
        {
            switch (request.Command)
            {
                case NbdCommand.Read:
                    await ReadAsync(request, cancellationToken).ConfigureAwait(false);
                    _export.NoteRead((int)request.Length);
                    break;
                case NbdCommand.Write:
                    await _source.WriteAsync((long)request.Offset, request.Data, cancellationToken).ConfigureAwait(false);
                    if ((request.Flags & NbdCommandFlags.Fua) != 0)
                    {
                        await _source.FlushAsync(cancellationToken).ConfigureAwait(false);
                    }

                    _export.NoteWrite((int)request.Length);
                    break;
                case NbdCommand.Flush:
                    await _source.FlushAsync(cancellationToken).ConfigureAwait(false);
                    break;
                case NbdCommand.Trim:
                    await _source.TrimAsync((long)request.Offset, request.Length, cancellationToken).ConfigureAwait(false);
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

    private bool MayLend(NbdRequest request) =>
        _lender is not null && request.Command == NbdCommand.Read && request.Error == Errno.None;

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ReadAsync(NbdRequest request, CancellationToken cancellationToken)
    {
        if (MayLend(request))
        {
            request.Lease = await _lender!.LendAsync((long)request.Offset, (int)request.Length, cancellationToken).ConfigureAwait(false);
            if (request.Lease is not null)
            {
                return;
            }

            // Declined (the source's lending bound is reached, or it has no room): a buffer, as for any source. The connection is still
            // listened to meanwhile: the request loop reads on, so a hang-up cancels this wait.
            request.Attach(await _budget.RentAsync(request.Length, cancellationToken).ConfigureAwait(false));
        }

        await _source.ReadAsync((long)request.Offset, request.Data, cancellationToken).ConfigureAwait(false);
    }

    private enum Ending
    {
        Disconnected,
        HungUp,
    }
}
