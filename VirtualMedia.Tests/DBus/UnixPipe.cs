using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace VirtualMedia.Tests.DBus;

/// <summary>A real pipe(2), as bmcweb makes for the Mount secret: the read end travels as a unix fd.</summary>
public static partial class UnixPipe
{
    /// <summary>Creates a pipe holding <paramref name="content"/> with its write end already closed; returns the read end.</summary>
    public static SafeFileHandle WithContent(string content)
    {
        Span<int> fds = stackalloc int[2];
        if (Pipe(fds) != 0)
        {
            throw new IOException($"pipe failed: errno {Marshal.GetLastPInvokeError()}");
        }

        var read = new SafeFileHandle(fds[0], ownsHandle: true);
        using (var write = new FileStream(new SafeFileHandle(fds[1], ownsHandle: true), FileAccess.Write, 1))
        {
            write.Write(Encoding.UTF8.GetBytes(content));
        }

        return read;
    }

    /// <summary>Reads everything from a pipe or file handle (without taking ownership).</summary>
    public static string ReadAll(SafeFileHandle handle)
    {
        using var stream = new FileStream(new SafeFileHandle(handle.DangerousGetHandle(), ownsHandle: false), FileAccess.Read, 1);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    /// <summary>What <paramref name="handle"/> is open on, as /proc/self/fd names it: <c>pipe:[inode]</c> for a pipe.</summary>
    public static string OpenOn(SafeHandle handle) =>
        LinkTarget($"/proc/self/fd/{handle.DangerousGetHandle()}") ?? throw new IOException("the handle is not open");

    /// <summary>The numbers of this process's fds open on <paramref name="target"/> (as <see cref="OpenOn"/> names it).</summary>
    public static IReadOnlyList<string> FdsOpenOn(string target) =>
        [.. Directory.EnumerateFileSystemEntries("/proc/self/fd").Where(fd => LinkTarget(fd) == target).Select(fd => Path.GetFileName(fd))];

    private static string? LinkTarget(string fd)
    {
        try
        {
            return new FileInfo(fd).LinkTarget;
        }
        catch (IOException)
        {
            // Closed since the directory was listed.
            return null;
        }
    }

    [LibraryImport("libc", EntryPoint = "pipe2", SetLastError = true)]
    private static partial int Pipe(Span<int> fds, int flags = 0x80000);
}
