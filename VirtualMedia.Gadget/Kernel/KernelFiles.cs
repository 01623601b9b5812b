using System.Text;
using VirtualMedia.Nbd;

namespace VirtualMedia.Gadget.Kernel;

/// <summary>The real kernel's configfs and sysfs: plain file operations, errors carried as errno.</summary>
public sealed class KernelFiles : IKernelFiles
{
    /// <inheritdoc />
    public void CreateDirectory(string path) => Run(path, "mkdir", () => Directory.CreateDirectory(path));

    /// <inheritdoc />
    public void RemoveDirectory(string path) => Run(path, "rmdir", () => Directory.Delete(path, recursive: false));

    /// <inheritdoc />
    public void WriteAttribute(string path, string value) => Run(path, $"write '{value}' to", () =>
    {
        // One write() call: sysfs hands each write to the driver, which answers it (EBUSY, EINVAL).
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Write);
        RandomAccess.Write(handle, Encoding.UTF8.GetBytes(value + "\n"), 0);
    });

    /// <inheritdoc />
    public void CreateLink(string link, string target) =>
        Run(link, "link", () => File.CreateSymbolicLink(link, target));

    /// <inheritdoc />
    public void RemoveLink(string link) => Run(link, "unlink", () => File.Delete(link));

    /// <summary>An attribute's value, trimmed; empty when it is absent or vanished while read (its gadget being
    /// removed by another slot at that moment).</summary>
    internal static string ReadIfPresent(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return string.Empty;
        }
    }

    /// <summary>Runs one kernel file operation, turning its failure into a <see cref="KernelException"/>.</summary>
    internal static void Run(string path, string what, Action action)
    {
        try
        {
            action();
        }
        catch (Exception e) when (e is IOException and not KernelException or UnauthorizedAccessException)
        {
            throw new KernelException($"cannot {what} {path}: {e.Message}", SystemErrno.FromException(e), e);
        }
    }
}
