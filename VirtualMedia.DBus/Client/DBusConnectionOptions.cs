namespace VirtualMedia.DBus;

/// <summary>Settings of a <see cref="DBusConnection"/>.</summary>
public sealed record DBusConnectionOptions
{
    /// <summary>Largest message accepted from the peer (bounded memory on a BMC); a bigger one is skipped unread, a call answered with LimitsExceeded.</summary>
    public int MaxMessageSize { get; init; } = 4 * 1024 * 1024;

    /// <summary>Timeout of a method call when the caller gives none (25 s, like libdbus).</summary>
    public TimeSpan DefaultCallTimeout { get; init; } = TimeSpan.FromSeconds(25);

    /// <summary>The objects this connection serves; null: a fresh empty tree (see <see cref="DBusConnection.Objects"/>).</summary>
    public DBusObjectTree? Objects { get; init; }
}
