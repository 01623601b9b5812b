using System.Runtime.CompilerServices;
using VirtualMedia.Nbd.Protocol;

namespace VirtualMedia.Nbd.Server;

/// <summary>Replies: one write of header and data from the request's buffer, or of header and lent bytes copied behind
/// it when they are few, else the header and then the lent bytes.</summary>
/// <remarks>A reply in two writes wakes the client twice: a random 4 KiB reader's first wake-up found only the header.
/// Copying up to <see cref="SmallReply"/> bytes costs less than the second write and wake-up.</remarks>
internal sealed partial class NbdConnection
{
    /// <summary>Most lent bytes copied behind their header to leave in one write.</summary>
    private const int SmallReply = 16 * 1024;

    /// <summary>Header and lent bytes of a small reply; used under the write lock, made at the first small reply.</summary>
    private byte[]? _smallReply;

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ReplyAsync(NbdRequest request, CancellationToken cancellationToken)
    {
        var isRead = request.Command == NbdCommand.Read;
        var (start, length) = (isRead && _negotiated.StructuredReplies, request.Error == Errno.None) switch
        {
            (true, true) => NbdReplyHeaders.StructuredData(request),
            (true, false) => NbdReplyHeaders.StructuredError(request),
            _ => NbdReplyHeaders.Simple(request, withData: isRead && request.Error == Errno.None),
        };

        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (request.Lease is { } lease && request.Length <= SmallReply)
            {
                await _stream.WriteAsync(GatherSmallReply(request, lease, start, length), cancellationToken).ConfigureAwait(false);
                return;
            }

            if (request.Lease is { } lent)
            {
                await _stream.WriteAsync(request.Buffer.AsMemory(start, length - (int)request.Length), cancellationToken).ConfigureAwait(false);
                // By index: a foreach over the interface boxes an enumerator per reply.
                var segments = lent.Segments;
                for (var i = 0; i < segments.Count; i++)
                {
                    await _stream.WriteAsync(segments[i], cancellationToken).ConfigureAwait(false);
                }

                // The socket may keep the last segment's memory until its next send: lent memory is the source's own
                // and outlives it, so nothing is kept alive that would not be anyway.
                return;
            }

            await _stream.WriteAsync(request.Buffer.AsMemory(start, length), cancellationToken).ConfigureAwait(false);
            if (length > NbdRequest.HeaderRoom)
            {
                // A socket keeps the memory of its last send until its next one: a client that goes quiet after a 32 MiB
                // reply kept that buffer alive outside the budget (64 such clients: 2 GiB wanted, OutOfMemoryException
                // under the service's 256 MiB heap limit). An empty send makes it let go.
                await _stream.WriteAsync(ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Copies a small lent reply's header and bytes into one buffer.</summary>
    private ReadOnlyMemory<byte> GatherSmallReply(NbdRequest request, IImageLease lease, int start, int length)
    {
        var buffer = _smallReply ??= GC.AllocateUninitializedArray<byte>(NbdRequest.HeaderRoom + SmallReply);
        var header = length - (int)request.Length;
        request.Buffer.AsSpan(start, header).CopyTo(buffer);
        var filled = header;
        var segments = lease.Segments;
        for (var i = 0; i < segments.Count; i++)
        {
            segments[i].Span.CopyTo(buffer.AsSpan(filled));
            filled += segments[i].Length;
        }

        return buffer.AsMemory(0, filled);
    }
}
