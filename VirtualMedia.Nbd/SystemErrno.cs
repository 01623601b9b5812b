namespace VirtualMedia.Nbd;

/// <summary>The one reading of an errno out of a .NET exception, for every layer.</summary>
public static class SystemErrno
{
    /// <summary>The errno <paramref name="exception"/> stands for; EIO when it carries none.</summary>
    public static Errno FromException(Exception exception) => exception switch
    {
        ImageSourceException source => source.Errno,
        FileNotFoundException or DirectoryNotFoundException => Errno.ENOENT,
        UnauthorizedAccessException => Errno.EACCES,
        TimeoutException => Errno.ETIMEDOUT,
        // On Linux .NET keeps the raw errno in HResult of the IOExceptions it has no special type for.
        IOException { HResult: > 0 and < 4096 } io => (Errno)io.HResult,
        _ => Errno.EIO,
    };
}
