using System.Runtime.InteropServices;

namespace VirtualMedia.DBus;

/// <summary>A variant value: its signature and the value (as <see cref="DBusValue"/> represents it).</summary>
public sealed record DBusVariant(string Signature, object Value);

/// <summary>Reads and writes any D-Bus value as plain .NET objects, for generic code and tests (not for hot paths).</summary>
/// <remarks>
/// y byte, b bool, n short, q ushort, i int, u uint, x long, t ulong, d double, s/o/g string,
/// h SafeHandle (read: an owned SafeFileHandle), v <see cref="DBusVariant"/>, arrays object[],
/// dictionaries Dictionary&lt;object, object&gt;, structs object[].
/// </remarks>
public static class DBusValue
{
    /// <summary>Writes <paramref name="value"/> as the complete type <paramref name="signature"/>.</summary>
    public static void Write(MessageBody body, string signature, object value)
    {
        switch (signature[0])
        {
            case 'y': body.WriteByte((byte)value); break;
            case 'b': body.WriteBool((bool)value); break;
            case 'n': body.WriteInt16((short)value); break;
            case 'q': body.WriteUInt16((ushort)value); break;
            case 'i': body.WriteInt32((int)value); break;
            case 'u': body.WriteUInt32((uint)value); break;
            case 'x': body.WriteInt64((long)value); break;
            case 't': body.WriteUInt64((ulong)value); break;
            case 'd': body.WriteDouble((double)value); break;
            case 's': body.WriteString((string)value); break;
            case 'o': body.WriteObjectPath((string)value); break;
            case 'g': body.WriteSignature((string)value); break;
            case 'h': body.WriteUnixFd((SafeHandle)value); break;
            case 'v':
                var variant = (DBusVariant)value;
                body.WriteVariantSignature(variant.Signature);
                Write(body, variant.Signature, variant.Value);
                break;
            case 'a' when signature[1] == '{':
                WriteDictionary(body, signature, (System.Collections.IDictionary)value);
                break;
            case 'a':
                var element = signature[1..];
                var array = body.WriteArrayStart(element[0]);
                foreach (var item in (System.Collections.IEnumerable)value)
                {
                    Write(body, element, item);
                }

                body.WriteArrayEnd(array);
                break;
            case '(':
                body.WriteStructStart();
                var fields = (object[])value;
                var index = 1;
                foreach (var field in fields)
                {
                    var length = Signature.CompleteTypeLength(signature, index);
                    Write(body, signature.Substring(index, length), field);
                    index += length;
                }

                break;
            default:
                throw new ArgumentException($"'{signature}' is not a complete type", nameof(signature));
        }
    }

    /// <summary>Reads one value of the complete type <paramref name="signature"/>.</summary>
    public static object Read(MessageReader reader, string signature)
    {
        switch (signature[0])
        {
            case 'y': return reader.ReadByte();
            case 'b': return reader.ReadBool();
            case 'n': return reader.ReadInt16();
            case 'q': return reader.ReadUInt16();
            case 'i': return reader.ReadInt32();
            case 'u': return reader.ReadUInt32();
            case 'x': return reader.ReadInt64();
            case 't': return reader.ReadUInt64();
            case 'd': return reader.ReadDouble();
            case 's' or 'o': return reader.ReadString();
            case 'g': return reader.ReadSignature();
            case 'h': return reader.ReadUnixFd();
            case 'v':
                var inner = reader.ReadVariantSignature();
                return new DBusVariant(inner, Read(reader, inner));
            case 'a' when signature[1] == '{':
                return ReadDictionary(reader, signature);
            case 'a':
                var element = signature[1..];
                var items = new List<object>();
                var end = reader.ReadArrayStart(element[0]);
                while (reader.HasNext(end))
                {
                    items.Add(Read(reader, element));
                }

                return items.ToArray();
            case '(':
                reader.ReadStructStart();
                var fields = new List<object>();
                var index = 1;
                while (signature[index] != ')')
                {
                    var length = Signature.CompleteTypeLength(signature, index);
                    fields.Add(Read(reader, signature.Substring(index, length)));
                    index += length;
                }

                return fields.ToArray();
            default:
                throw new ArgumentException($"'{signature}' is not a complete type", nameof(signature));
        }
    }

    private static void WriteDictionary(MessageBody body, string signature, System.Collections.IDictionary dictionary)
    {
        var keySignature = signature.Substring(2, 1);
        var valueSignature = signature[3..^1];
        var array = body.WriteArrayStart('{');
        foreach (System.Collections.DictionaryEntry entry in dictionary)
        {
            body.WriteStructStart();
            Write(body, keySignature, entry.Key);
            Write(body, valueSignature, entry.Value!);
        }

        body.WriteArrayEnd(array);
    }

    private static Dictionary<object, object> ReadDictionary(MessageReader reader, string signature)
    {
        var keySignature = signature.Substring(2, 1);
        var valueSignature = signature[3..^1];
        var result = new Dictionary<object, object>();
        var end = reader.ReadArrayStart('{');
        while (reader.HasNext(end))
        {
            reader.ReadStructStart();
            var key = Read(reader, keySignature);
            result[key] = Read(reader, valueSignature);
        }

        return result;
    }
}
