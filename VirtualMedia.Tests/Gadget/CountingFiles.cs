using VirtualMedia.Gadget.Kernel;
using VirtualMedia.Nbd;

namespace VirtualMedia.Tests.Gadget;

/// <summary>Wraps kernel files and fails the N-th set-up operation (mkdir, write, link) with EIO, to test rollback.</summary>
internal sealed class CountingFiles(IKernelFiles inner, int failAt = int.MaxValue) : IKernelFiles
{
    public int Steps { get; private set; }

    /// <summary>How many set-up operations <paramref name="create"/> makes.</summary>
    public static int CountSteps(KernelSide kernel, Action<KernelSide> create)
    {
        var counting = new CountingFiles(kernel.Files);
        create(kernel with { Files = counting });
        return counting.Steps;
    }

    public void CreateDirectory(string path)
    {
        Step(path);
        inner.CreateDirectory(path);
    }

    public void RemoveDirectory(string path) => inner.RemoveDirectory(path);

    public void WriteAttribute(string path, string value)
    {
        // Clearing (teardown) is never failed: rollback itself is under test, not its own failure.
        if (value.Length > 0)
        {
            Step(path);
        }

        inner.WriteAttribute(path, value);
    }

    public void CreateLink(string link, string target)
    {
        Step(link);
        inner.CreateLink(link, target);
    }

    public void RemoveLink(string link) => inner.RemoveLink(link);

    private void Step(string path)
    {
        if (++Steps == failAt)
        {
            throw new KernelException($"injected failure at {path}", Errno.EIO);
        }
    }
}
