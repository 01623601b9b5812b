using System.Buffers.Binary;
using System.Text;

namespace VirtualMedia.DBus;

/// <summary>Walks marshalled data against a signature, enforcing every rule of the specification; throws <see cref="DBusProtocolException"/>.</summary>
internal ref struct WireValidator
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ReadOnlySpan<byte> _data;
    private readonly int _origin;
    private readonly bool _bigEndian;
    private readonly int _fdCount;

    /// <summary>Validates <paramref name="data"/>; offsets are aligned relative to <paramref name="origin"/> (the message start).</summary>
    public WireValidator(ReadOnlySpan<byte> data, int origin, bool bigEndian, int fdCount)
    {
        _data = data;
        _origin = origin;
        _bigEndian = bigEndian;
        _fdCount = fdCount;
        Position = 0;
    }

    public int Position { get; private set; }

    public readonly bool AtEnd => Position == _data.Length;

    /// <summary>Validates a sequence of complete types filling the data exactly.</summary>
    public void ValidateBody(ReadOnlySpan<byte> signature)
    {
        var index = 0;
        while (index < signature.Length)
        {
            ValidateValue(signature, ref index, 0, 0, 0);
        }

        if (!AtEnd)
        {
            throw Fail($"{_data.Length - Position} bytes follow the last value of signature '{Encoding.ASCII.GetString(signature)}'");
        }
    }

    public void Align(int alignment)
    {
        var padding = (alignment - ((_origin + Position) % alignment)) % alignment;
        var span = Take(padding);
        if (span.ContainsAnyExcept((byte)0))
        {
            throw Fail("alignment padding is not zero");
        }
    }

    public byte ReadByte() => Take(1)[0];

    public uint ReadUInt32()
    {
        Align(4);
        var span = Take(4);
        return _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(span) : BinaryPrimitives.ReadUInt32LittleEndian(span);
    }

    /// <summary>Reads and checks a string (or object path) and returns its bytes.</summary>
    public ReadOnlySpan<byte> ReadString(bool objectPath)
    {
        var length = ReadUInt32();
        if (length > (uint)(_data.Length - Position - 1))
        {
            throw Fail("a string runs past the end of the message");
        }

        var bytes = Take((int)length);
        if (Take(1)[0] != 0)
        {
            throw Fail("a string is not NUL-terminated");
        }

        if (bytes.Contains((byte)0))
        {
            throw Fail("a string contains NUL");
        }

        try
        {
            _ = StrictUtf8.GetCharCount(bytes);
        }
        catch (ArgumentException)
        {
            throw Fail("a string is not valid UTF-8");
        }

        if (objectPath && !ObjectPath.IsValid(bytes.Length <= 256 ? AsChars(bytes, stackalloc char[bytes.Length]) : Encoding.ASCII.GetString(bytes)))
        {
            throw Fail("an object path has invalid syntax");
        }

        return bytes;
    }

    /// <summary>Reads and checks a signature (<c>g</c>) and returns its bytes.</summary>
    public ReadOnlySpan<byte> ReadSignature()
    {
        var length = ReadByte();
        var bytes = Take(length);
        if (Take(1)[0] != 0)
        {
            throw Fail("a signature is not NUL-terminated");
        }

        if (!Signature.IsValid(AsChars(bytes, stackalloc char[bytes.Length])))
        {
            throw Fail("a signature has invalid syntax");
        }

        return bytes;
    }

    public void ValidateValue(ReadOnlySpan<byte> signature, ref int index, int arrays, int structs, int total)
    {
        if (total > ProtocolLimits.MaxTotalDepth)
        {
            throw Fail("values are nested too deeply");
        }

        var code = (char)signature[index++];
        switch (code)
        {
            case 'y':
                Take(1);
                break;
            case 'b':
                if (ReadUInt32() > 1)
                {
                    throw Fail("a boolean is neither 0 nor 1");
                }

                break;
            case 'n' or 'q':
                Align(2);
                Take(2);
                break;
            case 'i' or 'u':
                ReadUInt32();
                break;
            case 'h':
                if (ReadUInt32() >= (uint)_fdCount)
                {
                    throw Fail("a unix fd index points past the fds of the message");
                }

                break;
            case 'x' or 't' or 'd':
                Align(8);
                Take(8);
                break;
            case 's':
                ReadString(objectPath: false);
                break;
            case 'o':
                ReadString(objectPath: true);
                break;
            case 'g':
                ReadSignature();
                break;
            case 'v':
                var inner = ReadSignature();
                if (!Signature.IsSingleCompleteType(AsChars(inner, stackalloc char[inner.Length])))
                {
                    throw Fail("a variant's signature is not a single complete type");
                }

                var innerIndex = 0;
                ValidateValue(inner, ref innerIndex, arrays, structs, total + 1);
                break;
            case 'a':
                ValidateArray(signature, ref index, arrays + 1, structs, total + 1);
                break;
            case '(':
                Align(8);
                while (signature[index] != ')')
                {
                    ValidateValue(signature, ref index, arrays, structs + 1, total + 1);
                }

                index++;
                break;
            case '{':
                Align(8);
                ValidateValue(signature, ref index, arrays, structs + 1, total + 1);
                ValidateValue(signature, ref index, arrays, structs + 1, total + 1);
                index++;
                break;
            default:
                throw Fail($"unknown type code '{code}'");
        }
    }

    public readonly DBusProtocolException Fail(string what) => new($"malformed message: {what} (offset {Position})");

    private void ValidateArray(ReadOnlySpan<byte> signature, ref int index, int arrays, int structs, int total)
    {
        if (arrays > ProtocolLimits.MaxContainerDepth)
        {
            throw Fail("arrays are nested too deeply");
        }

        var length = ReadUInt32();
        if (length > ProtocolLimits.MaxArrayLength)
        {
            throw Fail("an array is longer than 64 MiB");
        }

        Align(Signature.AlignmentOf((char)signature[index]));
        if (length > (uint)(_data.Length - Position))
        {
            throw Fail("an array runs past the end of the message");
        }

        var end = Position + (int)length;
        var elementStart = index;
        var elementEnd = elementStart + Signature.CompleteTypeLength(AsChars(signature, stackalloc char[signature.Length]), elementStart);
        while (Position < end)
        {
            var elementIndex = elementStart;
            ValidateValue(signature, ref elementIndex, arrays, structs, total);
        }

        if (Position != end)
        {
            throw Fail("an array's elements do not fill its length");
        }

        index = elementEnd;
    }

    private static ReadOnlySpan<char> AsChars(ReadOnlySpan<byte> ascii, Span<char> chars)
    {
        for (var i = 0; i < ascii.Length; i++)
        {
            chars[i] = (char)ascii[i];
        }

        return chars;
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > _data.Length - Position)
        {
            throw Fail("the message is truncated");
        }

        var span = _data.Slice(Position, count);
        Position += count;
        return span;
    }
}
