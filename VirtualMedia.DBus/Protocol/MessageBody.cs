using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;

namespace VirtualMedia.DBus;

/// <summary>Writes the body of an outgoing message (arguments, a reply, a property value) into a pooled buffer.</summary>
/// <remarks>
/// Rent one with <see cref="Create(string)"/>, write the values in signature order, then hand it to a
/// send/call method (which takes ownership and returns it to the pool) or dispose it.
/// Unix fds written with <see cref="WriteUnixFd(SafeHandle)"/> stay owned by the caller and must stay open until
/// the message is sent.
/// </remarks>
public sealed class MessageBody : IDisposable
{
    private const int PoolSize = 64;
    private const int InitialCapacity = 256;
    private static readonly ConcurrentQueue<MessageBody> Pool = new();

    private readonly List<SafeHandle> _fds = [];
    private readonly List<SafeHandle> _ownedFds = [];
    private byte[] _buffer = [];
    private int _length;
    private bool _rented;

    private MessageBody()
    {
        Signature = string.Empty;
    }

    /// <summary>The signature of the values this body holds (given at creation).</summary>
    public string Signature { get; private set; }

    /// <summary>True when numbers are written big-endian (only for tests of foreign byte orders).</summary>
    public bool IsBigEndian { get; private set; }

    /// <summary>Bytes written so far.</summary>
    public int Length => _length;

    /// <summary>The bytes written so far.</summary>
    public ReadOnlySpan<byte> Span => _buffer.AsSpan(0, _length);

    /// <summary>The unix fds written so far, in index order.</summary>
    public IReadOnlyList<SafeHandle> UnixFds => _fds;

    /// <summary>Rents an empty little-endian body for values of <paramref name="signature"/>.</summary>
    public static MessageBody Create(string signature) => Create(signature, bigEndian: false);

    /// <summary>Rents an empty body in the chosen byte order.</summary>
    public static MessageBody Create(string signature, bool bigEndian)
    {
        if (!Pool.TryDequeue(out var body))
        {
            body = new MessageBody();
        }

        body.Signature = signature;
        body.IsBigEndian = bigEndian;
        body._length = 0;
        body._rented = true;
        if (body._buffer.Length == 0)
        {
            body._buffer = ArrayPool<byte>.Shared.Rent(InitialCapacity);
        }

        return body;
    }

    /// <summary>Writes a byte (<c>y</c>).</summary>
    public void WriteByte(byte value) => Reserve(1, 1)[0] = value;

    /// <summary>Writes a boolean (<c>b</c>, as uint32 0 or 1).</summary>
    public void WriteBool(bool value) => WriteUInt32(value ? 1u : 0u);

    /// <summary>Writes an int16 (<c>n</c>).</summary>
    public void WriteInt16(short value) => WriteUInt16((ushort)value);

    /// <summary>Writes a uint16 (<c>q</c>).</summary>
    public void WriteUInt16(ushort value)
    {
        var span = Reserve(2, 2);
        if (IsBigEndian)
        {
            BinaryPrimitives.WriteUInt16BigEndian(span, value);
        }
        else
        {
            BinaryPrimitives.WriteUInt16LittleEndian(span, value);
        }
    }

    /// <summary>Writes an int32 (<c>i</c>).</summary>
    public void WriteInt32(int value) => WriteUInt32((uint)value);

    /// <summary>Writes a uint32 (<c>u</c>).</summary>
    public void WriteUInt32(uint value)
    {
        var span = Reserve(4, 4);
        if (IsBigEndian)
        {
            BinaryPrimitives.WriteUInt32BigEndian(span, value);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(span, value);
        }
    }

    /// <summary>Writes an int64 (<c>x</c>).</summary>
    public void WriteInt64(long value) => WriteUInt64((ulong)value);

    /// <summary>Writes a uint64 (<c>t</c>).</summary>
    public void WriteUInt64(ulong value)
    {
        var span = Reserve(8, 8);
        if (IsBigEndian)
        {
            BinaryPrimitives.WriteUInt64BigEndian(span, value);
        }
        else
        {
            BinaryPrimitives.WriteUInt64LittleEndian(span, value);
        }
    }

    /// <summary>Writes an IEEE 754 double (<c>d</c>).</summary>
    public void WriteDouble(double value) => WriteUInt64(BitConverter.DoubleToUInt64Bits(value));

    /// <summary>Writes a string (<c>s</c>); it must not contain NUL.</summary>
    public void WriteString(string value)
    {
        if (value.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("a D-Bus string cannot contain NUL", nameof(value));
        }

        var byteCount = Encoding.UTF8.GetByteCount(value);
        WriteUInt32((uint)byteCount);
        var span = Reserve(byteCount + 1, 1);
        Encoding.UTF8.GetBytes(value, span);
        span[byteCount] = 0;
    }

    /// <summary>Writes an object path (<c>o</c>); throws when the syntax is wrong.</summary>
    public void WriteObjectPath(string value)
    {
        if (!ObjectPath.IsValid(value))
        {
            throw new ArgumentException($"'{value}' is not a valid object path", nameof(value));
        }

        WriteString(value);
    }

    /// <summary>Writes a signature (<c>g</c>); throws when the syntax is wrong.</summary>
    public void WriteSignature(string value)
    {
        if (!VirtualMedia.DBus.Signature.IsValid(value))
        {
            throw new ArgumentException($"'{value}' is not a valid signature", nameof(value));
        }

        var span = Reserve(value.Length + 2, 1);
        span[0] = (byte)value.Length;
        Encoding.ASCII.GetBytes(value, span[1..]);
        span[^1] = 0;
    }

    /// <summary>Writes a unix fd (<c>h</c>); the handle stays the caller's and must stay open until sent.</summary>
    public void WriteUnixFd(SafeHandle handle) => WriteUnixFd(handle, disposeWithBody: false);

    /// <summary>Writes a unix fd (<c>h</c>); with <paramref name="disposeWithBody"/> the body closes it once sent (for handlers returning an fd).</summary>
    public void WriteUnixFd(SafeHandle handle, bool disposeWithBody)
    {
        ArgumentNullException.ThrowIfNull(handle);
        _fds.Add(handle);
        if (disposeWithBody)
        {
            _ownedFds.Add(handle);
        }

        WriteUInt32((uint)(_fds.Count - 1));
    }

    /// <summary>Writes a variant's signature; write the single value of that type next.</summary>
    public void WriteVariantSignature(string signature)
    {
        if (!VirtualMedia.DBus.Signature.IsSingleCompleteType(signature))
        {
            throw new ArgumentException($"'{signature}' is not a single complete type", nameof(signature));
        }

        WriteSignature(signature);
    }

    /// <summary>Starts an array whose elements start with <paramref name="elementTypeCode"/>; end it with <see cref="WriteArrayEnd"/>.</summary>
    public ArrayStart WriteArrayStart(char elementTypeCode)
    {
        Reserve(4, 4);
        var lengthOffset = _length - 4;
        Reserve(0, VirtualMedia.DBus.Signature.AlignmentOf(elementTypeCode));
        return new ArrayStart(lengthOffset, _length);
    }

    /// <summary>Ends an array, filling in its length.</summary>
    public void WriteArrayEnd(ArrayStart start)
    {
        var length = (uint)(_length - start.DataOffset);
        var span = _buffer.AsSpan(start.LengthOffset, 4);
        if (IsBigEndian)
        {
            BinaryPrimitives.WriteUInt32BigEndian(span, length);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(span, length);
        }
    }

    /// <summary>Starts a struct or dict entry (pads to 8); then write its fields.</summary>
    public void WriteStructStart() => Reserve(0, 8);

    /// <summary>Appends raw, already-marshalled bytes (a value copied from another message of the same byte order).</summary>
    public void WriteRaw(ReadOnlySpan<byte> bytes, int alignment)
    {
        var span = Reserve(bytes.Length, alignment);
        bytes.CopyTo(span);
    }

    /// <summary>Returns the body to the pool.</summary>
    public void Dispose()
    {
        if (!_rented)
        {
            return;
        }

        _rented = false;
        _fds.Clear();
        foreach (var owned in _ownedFds)
        {
            owned.Dispose();
        }

        _ownedFds.Clear();
        if (_buffer.Length > 64 * 1024 || Pool.Count >= PoolSize)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }

        if (Pool.Count < PoolSize)
        {
            Pool.Enqueue(this);
        }
    }

    private Span<byte> Reserve(int size, int alignment)
    {
        var padding = (alignment - (_length % alignment)) % alignment;
        var needed = _length + padding + size;
        if (needed > _buffer.Length)
        {
            Grow(needed);
        }

        _buffer.AsSpan(_length, padding).Clear();
        _length += padding;
        var span = _buffer.AsSpan(_length, size);
        _length += size;
        return span;
    }

    private void Grow(int needed)
    {
        if (needed > ProtocolLimits.MaxMessageSize)
        {
            throw new InvalidOperationException("the message body exceeds the D-Bus size limit");
        }

        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, _buffer.Length * 2));
        _buffer.AsSpan(0, _length).CopyTo(bigger);
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        _buffer = bigger;
    }
}

/// <summary>Where an array being written starts; pass it to <see cref="MessageBody.WriteArrayEnd"/>.</summary>
public readonly record struct ArrayStart(int LengthOffset, int DataOffset);
