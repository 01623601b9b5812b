namespace VirtualMedia.Service.Shares;

/// <summary>The user name and password from the Mount secret; the caller owns the password bytes and wipes them.</summary>
/// <param name="User">User name, possibly <c>DOMAIN\user</c> or <c>DOMAIN/user</c>; empty for guest.</param>
/// <param name="Password">The password as UTF-8 bytes; empty for guest.</param>
internal readonly record struct ShareCredentials(string User, ReadOnlyMemory<byte> Password)
{
    /// <summary>No user and no password: a guest (SMB) or AUTH_SYS (NFS) mount.</summary>
    public static ShareCredentials Guest => new(string.Empty, ReadOnlyMemory<byte>.Empty);

    /// <summary>True when both the user name and the password are empty.</summary>
    public bool IsGuest => User.Length == 0 && Password.IsEmpty;

    /// <inheritdoc />
    public override string ToString() => IsGuest ? "guest" : $"user '{User}'";
}
