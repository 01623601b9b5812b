namespace VirtualMedia.DBus;

/// <summary>A parsed D-Bus unix-socket address (<c>unix:path=/run/dbus/system_bus_socket</c>, <c>unix:abstract=name</c>).</summary>
public sealed record DBusAddress
{
    /// <summary>Default system bus socket.</summary>
    public const string DefaultSystemBus = "unix:path=/run/dbus/system_bus_socket";

    private DBusAddress(string? path, string? abstractName)
    {
        Path = path;
        AbstractName = abstractName;
    }

    /// <summary>Socket file path, for <c>unix:path=</c>.</summary>
    public string? Path { get; }

    /// <summary>Abstract socket name, for <c>unix:abstract=</c>.</summary>
    public string? AbstractName { get; }

    /// <summary>The system bus: <c>DBUS_SYSTEM_BUS_ADDRESS</c>, else <c>/run/dbus/system_bus_socket</c>.</summary>
    public static string SystemBus =>
        NonEmpty(Environment.GetEnvironmentVariable("DBUS_SYSTEM_BUS_ADDRESS")) ?? DefaultSystemBus;

    /// <summary>The session bus from <c>DBUS_SESSION_BUS_ADDRESS</c>; throws when it is not set.</summary>
    public static string SessionBus =>
        NonEmpty(Environment.GetEnvironmentVariable("DBUS_SESSION_BUS_ADDRESS"))
        ?? throw new DBusException("DBUS_SESSION_BUS_ADDRESS is not set: there is no session bus");

    /// <summary>Parses the first usable unix entry of an address list (<c>a;b</c>); throws <see cref="FormatException"/> when none.</summary>
    public static DBusAddress Parse(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        foreach (var entry in address.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = entry.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0 || entry[..colon] != "unix")
            {
                continue;
            }

            string? path = null;
            string? abstractName = null;
            foreach (var pair in entry[(colon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                if (equals < 0)
                {
                    throw new FormatException($"malformed D-Bus address entry '{entry}'");
                }

                var value = Unescape(pair[(equals + 1)..]);
                switch (pair[..equals])
                {
                    case "path": path = value; break;
                    case "abstract": abstractName = value; break;
                }
            }

            if ((path is null) != (abstractName is null))
            {
                return new DBusAddress(path, abstractName);
            }
        }

        throw new FormatException($"no usable unix:path= or unix:abstract= entry in D-Bus address '{address}'");
    }

    /// <summary>The address as a string.</summary>
    public override string ToString() => Path is not null ? $"unix:path={Path}" : $"unix:abstract={AbstractName}";

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private static string Unescape(string value)
    {
        if (!value.Contains('%', StringComparison.Ordinal))
        {
            return value;
        }

        var bytes = new List<byte>(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '%' && i + 2 < value.Length)
            {
                bytes.Add(Convert.ToByte(value.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
            {
                bytes.Add((byte)value[i]);
            }
        }

        return System.Text.Encoding.UTF8.GetString(bytes.ToArray());
    }
}
