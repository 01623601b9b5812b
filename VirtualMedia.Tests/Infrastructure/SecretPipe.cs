using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace VirtualMedia.Tests.Infrastructure;

/// <summary>A pipe whose read end is passed as a Mount secret fd, as bmcweb does; the write end is ours.</summary>
public sealed partial class SecretPipe : IDisposable
{
    private readonly SafeFileHandle _readEnd;
    private readonly FileStream _writer;

    /// <summary>Creates an empty pipe.</summary>
    public SecretPipe()
    {
        Span<int> fds = stackalloc int[2];
        if (Pipe2(ref fds[0], OCloexec) != 0)
        {
            throw new IOException($"pipe2 failed with errno {Marshal.GetLastPInvokeError()}");
        }

        _readEnd = new SafeFileHandle(fds[0], ownsHandle: true);
        _writer = new FileStream(new SafeFileHandle(fds[1], ownsHandle: true), FileAccess.Write, 1);
    }

    /// <summary>The read end, to pass over D-Bus (stays owned by this object).</summary>
    public SafeFileHandle ReadEnd => _readEnd;

    /// <summary>A pipe already holding <c>user\0password\0</c> with its write end closed.</summary>
    public static SecretPipe Holding(string user, string password) => HoldingBytes(Bytes(user, password));

    /// <summary>The secret as bmcweb writes it: <c>user\0password\0</c>.</summary>
    public static byte[] Bytes(string user, string password) => System.Text.Encoding.UTF8.GetBytes(user + "\0" + password + "\0");

    /// <summary>A pipe holding exactly <paramref name="bytes"/>, write end closed.</summary>
    public static SecretPipe HoldingBytes(byte[] bytes)
    {
        var pipe = new SecretPipe();
        pipe.Write(bytes);
        pipe.CloseWriteEnd();
        return pipe;
    }

    /// <summary>Writes to the pipe (its buffer holds 64 KiB, so this does not block in tests).</summary>
    public void Write(byte[] bytes)
    {
        _writer.Write(bytes);
        _writer.Flush();
    }

    /// <summary>Closes the write end: the reader sees the end of the secret.</summary>
    public void CloseWriteEnd() => _writer.Dispose();

    /// <inheritdoc />
    public void Dispose()
    {
        _writer.Dispose();
        _readEnd.Dispose();
    }

    private const int OCloexec = 0x80000;

    [LibraryImport("libc", EntryPoint = "pipe2", SetLastError = true)]
    private static partial int Pipe2(ref int fds, int flags);
}
