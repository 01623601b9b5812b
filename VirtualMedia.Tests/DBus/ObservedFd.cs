using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace VirtualMedia.Tests.DBus;

/// <summary>An fd to pass over D-Bus whose closing a test can wait for, with what it is open on.</summary>
public sealed class ObservedFd : SafeHandle
{
    private readonly SafeFileHandle _fd;
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Takes ownership of <paramref name="fd"/>.</summary>
    public ObservedFd(SafeFileHandle fd)
        : base(-1, ownsHandle: true)
    {
        _fd = fd;
        SetHandle(fd.DangerousGetHandle());
        OpenOn = UnixPipe.OpenOn(fd);
    }

    /// <summary>What the fd is open on, as /proc/self/fd names it (<c>pipe:[inode]</c>).</summary>
    public string OpenOn { get; }

    /// <summary>Completes when the fd has been closed.</summary>
    public Task Closed => _closed.Task;

    /// <inheritdoc />
    public override bool IsInvalid => handle == -1;

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        _fd.Dispose();
        _closed.TrySetResult();
        return true;
    }
}
