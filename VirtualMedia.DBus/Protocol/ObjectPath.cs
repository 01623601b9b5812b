namespace VirtualMedia.DBus;

/// <summary>Object-path and name syntax of the D-Bus specification.</summary>
public static class ObjectPath
{
    /// <summary>True when <paramref name="path"/> is a valid object path (<c>/</c>, <c>/a/b_1</c>).</summary>
    public static bool IsValid(ReadOnlySpan<char> path)
    {
        if (path.Length == 0 || path[0] != '/')
        {
            return false;
        }

        if (path.Length == 1)
        {
            return true;
        }

        if (path[^1] == '/')
        {
            return false;
        }

        var previousSlash = true;
        foreach (var c in path[1..])
        {
            if (c == '/')
            {
                if (previousSlash)
                {
                    return false;
                }

                previousSlash = true;
            }
            else if (char.IsAsciiLetterOrDigit(c) || c == '_')
            {
                previousSlash = false;
            }
            else
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>True when <paramref name="name"/> is a valid interface or error name (two or more dotted elements).</summary>
    public static bool IsValidInterfaceName(ReadOnlySpan<char> name)
    {
        if (name.Length is 0 or > ProtocolLimits.MaxNameLength)
        {
            return false;
        }

        var elements = 0;
        foreach (var range in name.Split('.'))
        {
            var element = name[range];
            if (element.Length == 0 || char.IsAsciiDigit(element[0]) || !IsNameElement(element))
            {
                return false;
            }

            elements++;
        }

        return elements >= 2;
    }

    /// <summary>True when <paramref name="name"/> is a valid member (method, signal, property) name.</summary>
    public static bool IsValidMemberName(ReadOnlySpan<char> name) =>
        name.Length is > 0 and <= ProtocolLimits.MaxNameLength && !char.IsAsciiDigit(name[0]) && IsNameElement(name);

    /// <summary>True when <paramref name="name"/> is a valid unique (<c>:1.4</c>) or well-known bus name.</summary>
    public static bool IsValidBusName(ReadOnlySpan<char> name)
    {
        if (name.Length is 0 or > ProtocolLimits.MaxNameLength)
        {
            return false;
        }

        var unique = name[0] == ':';
        var body = unique ? name[1..] : name;
        var elements = 0;
        foreach (var range in body.Split('.'))
        {
            var element = body[range];
            if (element.Length == 0 || (!unique && char.IsAsciiDigit(element[0])))
            {
                return false;
            }

            foreach (var c in element)
            {
                if (!char.IsAsciiLetterOrDigit(c) && c != '_' && c != '-')
                {
                    return false;
                }
            }

            elements++;
        }

        return elements >= 2;
    }

    private static bool IsNameElement(ReadOnlySpan<char> element)
    {
        foreach (var c in element)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '_')
            {
                return false;
            }
        }

        return true;
    }
}
