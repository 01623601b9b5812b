namespace VirtualMedia.Service.Urls;

/// <summary><c>smb://host[:port]/share/path/to/image.iso</c>: the first path component is the share.</summary>
internal sealed record SmbUrl : ShareUrl
{
    internal SmbUrl(string host, int? port, IReadOnlyList<string> segments)
        : base("smb", host, port, segments)
    {
    }

    /// <summary>The share name (first path component).</summary>
    public string Share => Segments[0];

    /// <summary>The UNC-style source the CIFS client mounts: <c>//host/share</c>.</summary>
    public string MountSource => $"//{Host}/{Share}";

    /// <inheritdoc />
    public override string PathInMount => string.Join('/', Segments.Skip(1));

    /// <inheritdoc />
    public override string FileSystemType => "cifs";
}
