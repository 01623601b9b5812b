namespace VirtualMedia.Service.Shares;

/// <summary>One way of mounting a share (one protocol version), tried in order until one succeeds.</summary>
/// <param name="FileSystemType">The kernel file system type: <c>cifs</c> or <c>nfs</c>.</param>
/// <param name="Source">The device argument of mount(2): <c>//host/share</c> or <c>host:/dir</c>.</param>
/// <param name="Protocol">What this attempt speaks, for messages (<c>SMB 3.1.1 sealed</c>, <c>NFSv4.2</c>).</param>
/// <param name="Data">The option string; disposing the attempt wipes it.</param>
internal sealed record MountAttempt(string FileSystemType, string Source, string Protocol, MountData Data) : IDisposable
{
    /// <inheritdoc />
    public void Dispose() => Data.Dispose();
}
