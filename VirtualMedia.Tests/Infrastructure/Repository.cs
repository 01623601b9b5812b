namespace VirtualMedia.Tests.Infrastructure;

/// <summary>Where the repository the tests were built from is: scripts, systemd files, introspection data.</summary>
public static class Repository
{
    /// <summary>The directory holding VirtualMedia.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>A path inside the repository.</summary>
    public static string Combine(string relative) => Path.Combine(Root, relative);

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "VirtualMedia.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("VirtualMedia.sln not found above " + AppContext.BaseDirectory);
    }
}
