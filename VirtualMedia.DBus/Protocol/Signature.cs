namespace VirtualMedia.DBus;

/// <summary>D-Bus type-signature rules: validation and alignment of type codes.</summary>
public static class Signature
{
    /// <summary>The alignment in bytes of a value whose type starts with <paramref name="typeCode"/>.</summary>
    public static int AlignmentOf(char typeCode) => typeCode switch
    {
        'y' or 'g' or 'v' => 1,
        'n' or 'q' => 2,
        'b' or 'i' or 'u' or 's' or 'o' or 'a' or 'h' => 4,
        'x' or 't' or 'd' or '(' or '{' => 8,
        _ => throw new ArgumentException($"'{typeCode}' is not a D-Bus type code", nameof(typeCode)),
    };

    /// <summary>True when <paramref name="signature"/> is a valid sequence of complete types (possibly empty).</summary>
    public static bool IsValid(ReadOnlySpan<char> signature)
    {
        if (signature.Length > ProtocolLimits.MaxSignatureLength)
        {
            return false;
        }

        var index = 0;
        while (index < signature.Length)
        {
            if (!TrySkipCompleteType(signature, ref index, 0, 0))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>True when <paramref name="signature"/> is exactly one complete type (what a variant holds).</summary>
    public static bool IsSingleCompleteType(ReadOnlySpan<char> signature)
    {
        var index = 0;
        return signature.Length <= ProtocolLimits.MaxSignatureLength
            && TrySkipCompleteType(signature, ref index, 0, 0)
            && index == signature.Length;
    }

    /// <summary>Length of the complete type starting at <paramref name="start"/> (the signature must be valid).</summary>
    public static int CompleteTypeLength(ReadOnlySpan<char> signature, int start)
    {
        var index = start;
        if (start < signature.Length && signature[start] == '{')
        {
            // A dict entry, as the element of an array being walked.
            return DictEntryLength(signature, start);
        }

        if (!TrySkipCompleteType(signature, ref index, 0, 0))
        {
            throw new ArgumentException($"'{signature}' has no complete type at {start}", nameof(signature));
        }

        return index - start;
    }

    /// <summary>Throws <see cref="ArgumentException"/> unless <paramref name="signature"/> is valid.</summary>
    public static void EnsureValid(string signature, string parameterName)
    {
        if (!IsValid(signature))
        {
            throw new ArgumentException($"'{signature}' is not a valid D-Bus signature", parameterName);
        }
    }

    private static int DictEntryLength(ReadOnlySpan<char> signature, int start)
    {
        var index = start + 1;
        if (index >= signature.Length || !IsBasic(signature[index]))
        {
            throw new ArgumentException($"'{signature}' has no dict entry at {start}", nameof(signature));
        }

        index++;
        if (!TrySkipCompleteType(signature, ref index, 1, 1) || index >= signature.Length || signature[index] != '}')
        {
            throw new ArgumentException($"'{signature}' has no dict entry at {start}", nameof(signature));
        }

        return index + 1 - start;
    }

    internal static bool IsBasic(char code) => "ybnqiuxtdsogh".Contains(code, StringComparison.Ordinal);

    private static bool TrySkipCompleteType(ReadOnlySpan<char> s, ref int i, int arrays, int structs)
    {
        if (i >= s.Length)
        {
            return false;
        }

        var c = s[i++];
        switch (c)
        {
            case 'y' or 'b' or 'n' or 'q' or 'i' or 'u' or 'x' or 't' or 'd' or 's' or 'o' or 'g' or 'h' or 'v':
                return true;
            case 'a':
                if (arrays + 1 > ProtocolLimits.MaxContainerDepth || i >= s.Length)
                {
                    return false;
                }

                if (s[i] == '{')
                {
                    i++;
                    if (i >= s.Length || !IsBasic(s[i]))
                    {
                        return false;
                    }

                    i++;
                    if (!TrySkipCompleteType(s, ref i, arrays + 1, structs + 1) || i >= s.Length || s[i] != '}')
                    {
                        return false;
                    }

                    i++;
                    return true;
                }

                return TrySkipCompleteType(s, ref i, arrays + 1, structs);
            case '(':
                if (structs + 1 > ProtocolLimits.MaxContainerDepth || i >= s.Length || s[i] == ')')
                {
                    return false;
                }

                while (i < s.Length && s[i] != ')')
                {
                    if (!TrySkipCompleteType(s, ref i, arrays, structs + 1))
                    {
                        return false;
                    }
                }

                if (i >= s.Length)
                {
                    return false;
                }

                i++;
                return true;
            default:
                return false;
        }
    }
}
