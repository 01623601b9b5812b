using CsCheck;
using VirtualMedia.DBus;

namespace VirtualMedia.Tests.Properties;

/// <summary>CsCheck generators of D-Bus types and of values of a given type: every basic type but <c>h</c>, variants,
/// arrays, dicts and structs, nested.</summary>
internal static class DBusValueGenerators
{
    private const string BasicCodes = "ybnqiuxtdsog";

    /// <summary>A signature and a value of that single complete type.</summary>
    public static Gen<(string Signature, object Value)> Typed(int depth) =>
        Type(depth).SelectMany(signature => ValueOf(signature, depth).Select(value => (signature, value)));

    /// <summary>A single complete type nested at most <paramref name="depth"/> containers deep.</summary>
    public static Gen<string> Type(int depth) =>
        Gen.Int[0, depth == 0 ? 1 : 4].SelectMany(kind => kind switch
        {
            0 => Gen.Int[0, BasicCodes.Length - 1].Select(i => BasicCodes[i].ToString()),
            1 => Gen.Const("v"),
            2 => Type(depth - 1).Select(element => "a" + element),
            3 => Gen.Select(Gen.Int[0, BasicCodes.Length - 1], Type(depth - 1), (key, value) => $"a{{{BasicCodes[key]}{value}}}"),
            _ => Type(depth - 1).Array[1, 3].Select(fields => "(" + string.Concat(fields) + ")"),
        });

    /// <summary>A value of the single complete type <paramref name="signature"/>, as <see cref="DBusValue"/> writes and reads it;
    /// a variant holds a type at most <paramref name="depth"/> deep (so that variants in arrays of variants end).</summary>
    public static Gen<object> ValueOf(string signature, int depth) => signature[0] switch
    {
        'y' => Gen.Byte.Select(v => (object)v),
        'b' => Gen.Bool.Select(v => (object)v),
        'n' => Gen.Short.Select(v => (object)v),
        'q' => Gen.UShort.Select(v => (object)v),
        'i' => Gen.Int.Select(v => (object)v),
        'u' => Gen.UInt.Select(v => (object)v),
        'x' => Gen.Long.Select(v => (object)v),
        't' => Gen.ULong.Select(v => (object)v),
        'd' => Gen.Double.Select(v => (object)v),
        's' => Text.Select(v => (object)v),
        'o' => ObjectPath.Select(v => (object)v),
        'g' => Type(2).Array[0, 3].Select(types => (object)string.Concat(types)),
        'v' => Type(Math.Max(depth - 1, 0)).SelectMany(inner => ValueOf(inner, depth - 1).Select(value => (object)new DBusVariant(inner, value))),
        'a' when signature[1] == '{' => Dictionary(signature, depth),
        'a' => ValueOf(signature[1..], depth).Array[0, 4].Select(items => (object)items),
        '(' => Struct(signature, depth),
        _ => throw new ArgumentException($"no generator for '{signature}'", nameof(signature)),
    };

    /// <summary>UTF-8 text without NUL: ASCII, the rest of the BMP outside surrogates, and astral characters.</summary>
    private static Gen<string> Text { get; } =
        Gen.OneOf(
            Gen.Char['\u0001', '\u007f'].Select(c => c.ToString()),
            Gen.Char['\u0080', '\ud7ff'].Select(c => c.ToString()),
            Gen.Int[0x10000, 0x10ffff].Select(char.ConvertFromUtf32))
        .Array[0, 8].Select(parts => string.Concat(parts));

    private static Gen<string> ObjectPath { get; } =
        Gen.Char["abcXYZ09_"].Array[1, 4].Select(c => new string(c)).Array[0, 3].Select(elements => "/" + string.Join('/', elements));

    private static Gen<object> Dictionary(string signature, int depth)
    {
        var key = signature.Substring(2, 1);
        var value = signature[3..^1];
        return Gen.Select(ValueOf(key, depth).Array[0, 4], ValueOf(value, depth).Array[4], (keys, values) =>
        {
            var dictionary = new Dictionary<object, object>();
            for (var i = 0; i < keys.Length; i++)
            {
                dictionary.TryAdd(keys[i], values[i]);
            }

            return (object)dictionary;
        });
    }

    private static Gen<object> Struct(string signature, int depth)
    {
        Gen<object[]> fields = Gen.Const(Array.Empty<object>());
        for (var index = 1; signature[index] != ')';)
        {
            var length = Signature.CompleteTypeLength(signature, index);
            var field = signature.Substring(index, length);
            fields = fields.SelectMany(previous => ValueOf(field, depth).Select(next => (object[])[.. previous, next]));
            index += length;
        }

        return fields.Select(values => (object)values);
    }

    /// <summary>A value as readable text for a failure message.</summary>
    public static string Show(object value) => value switch
    {
        string s => "\"" + s + "\"",
        DBusVariant v => $"<{v.Signature} {Show(v.Value)}>",
        Dictionary<object, object> d => "{" + string.Join(", ", d.Select(e => Show(e.Key) + ": " + Show(e.Value))) + "}",
        object[] a => "[" + string.Join(", ", a.Select(Show)) + "]",
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "null",
    };
}
