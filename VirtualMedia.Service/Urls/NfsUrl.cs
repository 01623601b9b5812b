namespace VirtualMedia.Service.Urls;

/// <summary><c>nfs://host[:port]/export/path/to/image.iso</c>: the directory holding the image is mounted, whatever part of it is the export.</summary>
/// <remarks>
/// The URL does not say where the export ends and the path inside it begins; both NFSv4 and the
/// NFSv3 mount protocol let a client mount any directory inside an export, so the image's own
/// directory is mounted.
/// </remarks>
internal sealed record NfsUrl : ShareUrl
{
    internal NfsUrl(string host, int? port, IReadOnlyList<string> segments)
        : base("nfs", host, port, segments)
    {
    }

    /// <summary>The server directory that is mounted: the image's parent, absolute.</summary>
    public string Directory => "/" + string.Join('/', Segments.Take(Segments.Count - 1));

    /// <summary>The source the NFS client mounts: <c>host:/directory</c>.</summary>
    public string MountSource => $"{HostForSource}:{Directory}";

    /// <inheritdoc />
    public override string PathInMount => Segments[^1];

    /// <inheritdoc />
    public override string FileSystemType => "nfs";
}
