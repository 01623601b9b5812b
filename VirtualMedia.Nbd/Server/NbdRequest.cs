using VirtualMedia.Nbd.Protocol;

namespace VirtualMedia.Nbd.Server;

/// <summary>One reusable request slot: the decoded header plus a buffer for its payload and reply.</summary>
/// <remarks>
/// The buffer keeps <see cref="HeaderRoom"/> bytes in front of the data so a reply header can be
/// written in place and header plus data leave in one write, without copying the data again.
/// </remarks>
internal sealed class NbdRequest
{
    public const int HeaderRoom = 32;

    /// <summary>Slots keep buffers up to this size; rarer, bigger requests borrow a one-off buffer.</summary>
    private const int RetainedCapacity = 4 * 1024 * 1024;

    private const int Granularity = 64 * 1024;

    private byte[] _buffer = new byte[HeaderRoom];
    private byte[]? _oneOff;

    public NbdCommand Command { get; set; }

    public NbdCommandFlags Flags { get; set; }

    public ulong Handle { get; set; }

    public ulong Offset { get; set; }

    public uint Length { get; set; }

    /// <summary>Error found by validation; the request is answered with it without touching the source.</summary>
    public Errno Error { get; set; }

    /// <summary>Bytes of the buffer the slot keeps between requests.</summary>
    public int Capacity => _buffer.Length;

    /// <summary>The buffer holding header room and <see cref="Length"/> bytes of data.</summary>
    public byte[] Buffer => _oneOff ?? _buffer;

    /// <summary>The data area for <see cref="Length"/> bytes.</summary>
    public Memory<byte> Data => Buffer.AsMemory(HeaderRoom, (int)Length);

    /// <summary>Makes room for <see cref="Length"/> bytes of data.</summary>
    public void Reserve()
    {
        var needed = HeaderRoom + (int)Length;
        if (_buffer.Length >= needed)
        {
            return;
        }

        if (needed > RetainedCapacity + HeaderRoom)
        {
            _oneOff = GC.AllocateUninitializedArray<byte>(needed);
            return;
        }

        var rounded = HeaderRoom + (((int)Length + Granularity - 1) / Granularity * Granularity);
        _buffer = GC.AllocateUninitializedArray<byte>(rounded);
    }

    /// <summary>Drops a one-off buffer once the reply is sent.</summary>
    public void Release() => _oneOff = null;
}
