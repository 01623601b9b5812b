using VirtualMedia.Nbd.Protocol;

namespace VirtualMedia.Nbd.Server;

/// <summary>One request slot of a connection: the decoded header plus, while it is served, a buffer from the server's
/// <see cref="NbdBufferBudget"/> for its payload and reply.</summary>
/// <remarks>
/// Buffers keep <see cref="HeaderRoom"/> bytes in front of the data so a reply header can be written in place and
/// header plus data leave in one write, without copying the data again. Requests without data reply from a small
/// buffer of the slot's own; so do reads whose bytes an <see cref="ILendingImageSource"/> lends (the header leaves
/// first, then the lent bytes).
/// </remarks>
internal sealed class NbdRequest
{
    public const int HeaderRoom = 32;

    private readonly byte[] _headerOnly = new byte[HeaderRoom];
    private byte[]? _rented;

    public NbdCommand Command { get; set; }

    public NbdCommandFlags Flags { get; set; }

    public ulong Handle { get; set; }

    public ulong Offset { get; set; }

    public uint Length { get; set; }

    /// <summary>Error found by validation; the request is answered with it without touching the source.</summary>
    public Errno Error { get; set; }

    /// <summary>True when the request carries data one way or the other (a WRITE's payload, a valid READ's reply).</summary>
    public bool NeedsBuffer => Command == NbdCommand.Write || (Command == NbdCommand.Read && Error == Errno.None);

    /// <summary>Bytes this read holds of its connection's read window; 0 when it holds none.</summary>
    public uint WindowBytes { get; set; }

    /// <summary>The reply's data lent by the source, when it lent them; disposed once the reply is sent or abandoned.</summary>
    public IImageLease? Lease { get; set; }

    /// <summary>The buffer holding header room and <see cref="Length"/> bytes of data.</summary>
    public byte[] Buffer => _rented ?? _headerOnly;

    /// <summary>The data area for <see cref="Length"/> bytes.</summary>
    public Memory<byte> Data => Buffer.AsMemory(HeaderRoom, (int)Length);

    /// <summary>Gives the request a buffer rented from the budget.</summary>
    public void Attach(byte[] buffer) => _rented = buffer;

    /// <summary>Gives the lease back and takes the rented buffer back, if any, once the reply is sent or abandoned.</summary>
    public byte[]? Detach()
    {
        Lease?.Dispose();
        Lease = null;
        var rented = _rented;
        _rented = null;
        return rented;
    }
}
