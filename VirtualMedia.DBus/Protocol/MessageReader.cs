using System.Buffers.Binary;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace VirtualMedia.DBus;

/// <summary>Reads the values of a received message's body, in signature order.</summary>
/// <remarks>
/// The body was validated against its signature on arrival, so reading in signature order cannot
/// run off the buffer; reading out of order throws <see cref="InvalidOperationException"/>.
/// The reader is valid until its <see cref="DBusMessage"/> is disposed.
/// </remarks>
public sealed class MessageReader
{
    private readonly DBusMessage _message;
    private byte[] _buffer = [];
    private int _start;
    private int _end;
    private int _position;
    private bool _bigEndian;

    internal MessageReader(DBusMessage message)
    {
        _message = message;
    }

    /// <summary>True when every byte of the body has been read.</summary>
    public bool AtEnd => _position >= _end;

    /// <summary>Reads a byte (<c>y</c>).</summary>
    public byte ReadByte() => Take(1, 1)[0];

    /// <summary>Reads a boolean (<c>b</c>).</summary>
    public bool ReadBool() => ReadUInt32() != 0;

    /// <summary>Reads an int16 (<c>n</c>).</summary>
    public short ReadInt16() => (short)ReadUInt16();

    /// <summary>Reads a uint16 (<c>q</c>).</summary>
    public ushort ReadUInt16()
    {
        var span = Take(2, 2);
        return _bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(span) : BinaryPrimitives.ReadUInt16LittleEndian(span);
    }

    /// <summary>Reads an int32 (<c>i</c>).</summary>
    public int ReadInt32() => (int)ReadUInt32();

    /// <summary>Reads a uint32 (<c>u</c>).</summary>
    public uint ReadUInt32()
    {
        var span = Take(4, 4);
        return _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(span) : BinaryPrimitives.ReadUInt32LittleEndian(span);
    }

    /// <summary>Reads an int64 (<c>x</c>).</summary>
    public long ReadInt64() => (long)ReadUInt64();

    /// <summary>Reads a uint64 (<c>t</c>).</summary>
    public ulong ReadUInt64()
    {
        var span = Take(8, 8);
        return _bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(span) : BinaryPrimitives.ReadUInt64LittleEndian(span);
    }

    /// <summary>Reads a double (<c>d</c>).</summary>
    public double ReadDouble() => BitConverter.UInt64BitsToDouble(ReadUInt64());

    /// <summary>Reads a string (<c>s</c>) or object path (<c>o</c>).</summary>
    public string ReadString() => Encoding.UTF8.GetString(ReadStringBytes());

    /// <summary>Reads a string's UTF-8 bytes without allocating (valid until the message is disposed).</summary>
    public ReadOnlySpan<byte> ReadStringBytes()
    {
        var length = (int)ReadUInt32();
        var span = Take(length + 1, 1);
        return span[..length];
    }

    /// <summary>Reads an object path (<c>o</c>).</summary>
    public string ReadObjectPath() => ReadString();

    /// <summary>Reads a signature (<c>g</c>).</summary>
    public string ReadSignature()
    {
        var length = ReadByte();
        var span = Take(length + 1, 1);
        return Encoding.ASCII.GetString(span[..length]);
    }

    /// <summary>Reads a unix fd (<c>h</c>) and takes ownership of it: the caller must dispose it.</summary>
    public SafeFileHandle ReadUnixFd() => _message.TakeUnixFd((int)ReadUInt32());

    /// <summary>Reads a variant's signature; read the single value of that type next.</summary>
    public string ReadVariantSignature() => ReadSignature();

    /// <summary>Starts reading an array whose elements start with <paramref name="elementTypeCode"/>; loop while <see cref="HasNext"/>.</summary>
    public ArrayEnd ReadArrayStart(char elementTypeCode)
    {
        var length = (int)ReadUInt32();
        Take(0, Signature.AlignmentOf(elementTypeCode));
        return new ArrayEnd(_position + length);
    }

    /// <summary>True while the array that ends at <paramref name="end"/> has more elements.</summary>
    public bool HasNext(ArrayEnd end) => _position < end.Offset;

    /// <summary>Skips the struct/dict-entry padding; then read its fields.</summary>
    public void ReadStructStart() => Take(0, 8);

    /// <summary>Reads any single complete value of <paramref name="signature"/> as .NET objects (see <see cref="DBusValue"/>).</summary>
    public object ReadValue(string signature) => DBusValue.Read(this, signature);

    internal void Reset(byte[] buffer, int start, int end, bool bigEndian)
    {
        _buffer = buffer;
        _start = start;
        _end = end;
        _position = start;
        _bigEndian = bigEndian;
    }

    private ReadOnlySpan<byte> Take(int size, int alignment)
    {
        var aligned = _start + (((_position - _start) + alignment - 1) & ~(alignment - 1));
        if (aligned + size > _end)
        {
            throw new InvalidOperationException("read past the end of the message body (values read out of signature order?)");
        }

        _position = aligned + size;
        return _buffer.AsSpan(aligned, size);
    }
}

/// <summary>Where an array being read ends; pass it to <see cref="MessageReader.HasNext"/>.</summary>
public readonly record struct ArrayEnd(int Offset);
