using Microsoft.Win32.SafeHandles;

namespace VirtualMedia.DBus;

/// <summary>A received, validated message: header fields and a reader over its body; dispose it to return its buffer.</summary>
public sealed class DBusMessage : IDisposable
{
    private readonly MessageReader _reader;
    private byte[] _buffer = [];
    private int _bodyStart;
    private int _length;
    private SafeFileHandle?[] _fds = [];
    private Action<byte[]>? _returnBuffer;

    internal DBusMessage()
    {
        _reader = new MessageReader(this);
    }

    /// <summary>The message type.</summary>
    public MessageType Type { get; internal set; }

    /// <summary>The header flags.</summary>
    public MessageFlags Flags { get; internal set; }

    /// <summary>The sender's serial of this message.</summary>
    public uint Serial { get; internal set; }

    /// <summary>For replies and errors: the serial of the call answered; else 0.</summary>
    public uint ReplySerial { get; internal set; }

    /// <summary>The object path (calls and signals).</summary>
    public string? Path { get; internal set; }

    /// <summary>The interface (signals always; calls optionally).</summary>
    public string? Interface { get; internal set; }

    /// <summary>The method or signal name.</summary>
    public string? Member { get; internal set; }

    /// <summary>The error name (errors only).</summary>
    public string? ErrorName { get; internal set; }

    /// <summary>The destination bus name, when set.</summary>
    public string? Destination { get; internal set; }

    /// <summary>The sender's unique name (set by the bus; null on peer-to-peer connections).</summary>
    public string? Sender { get; internal set; }

    /// <summary>The body signature (empty for no body).</summary>
    public string Signature { get; internal set; } = string.Empty;

    /// <summary>True when the sender wrote the message big-endian.</summary>
    public bool IsBigEndian { get; internal set; }

    /// <summary>Number of unix fds that came with the message.</summary>
    public int UnixFdCount => _fds.Length;

    internal bool IsDisposed => _returnBuffer is null && _buffer.Length == 0;

    /// <summary>Returns a reader positioned at the start of the body (calling it again restarts).</summary>
    public MessageReader GetReader()
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        _reader.Reset(_buffer, _bodyStart, _length, IsBigEndian);
        return _reader;
    }

    /// <summary>Returns the buffer and closes every fd nobody took.</summary>
    public void Dispose()
    {
        foreach (var fd in _fds)
        {
            fd?.Dispose();
        }

        _fds = [];
        var buffer = _buffer;
        _buffer = [];
        _returnBuffer?.Invoke(buffer);
        _returnBuffer = null;
    }

    internal void SetContent(byte[] buffer, int length, int bodyStart, SafeFileHandle?[] fds, Action<byte[]>? returnBuffer)
    {
        _buffer = buffer;
        _length = length;
        _bodyStart = bodyStart;
        _fds = fds;
        _returnBuffer = returnBuffer;
    }

    internal SafeFileHandle TakeUnixFd(int index)
    {
        if ((uint)index >= (uint)_fds.Length)
        {
            throw new InvalidOperationException($"the message has no unix fd {index}");
        }

        var fd = _fds[index] ?? throw new InvalidOperationException($"unix fd {index} was already taken");
        _fds[index] = null;
        return fd;
    }
}
