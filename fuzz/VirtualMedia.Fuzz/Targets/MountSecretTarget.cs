using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using VirtualMedia.Fuzz.Harness;
using VirtualMedia.Nbd;
using VirtualMedia.Service.Credentials;
using VirtualMedia.Service.Errors;

namespace VirtualMedia.Fuzz.Targets;

/// <summary>The Mount secret: the bytes a caller writes into the pipe whose read end comes with Legacy.Mount.</summary>
/// <remarks>
/// The input is written into a real pipe whose write end is then closed (the 2019–2023 bmcweb's way), and read by
/// <see cref="MountSecret.ReadAsync"/>. A bad secret is EINVAL; a good one reads back exactly as written.
/// </remarks>
public sealed partial class MountSecretTarget : IFuzzTarget
{
    /// <summary>Below a pipe's capacity, so the write never blocks; far above the secret's limit.</summary>
    private const int MaxInput = 16 * 1024;

    public string Name => "mount-secret";

    public async Task RunAsync(ReadOnlyMemory<byte> input)
    {
        var bytes = input[..Math.Min(input.Length, MaxInput)];
        using var pipe = PipeHolding(bytes.Span);
        try
        {
            using var secret = await MountSecret.ReadAsync(pipe, TimeSpan.FromSeconds(2), CancellationToken.None);
            var second = bytes.Span.IndexOf((byte)0) + 1;
            second += bytes.Span[second..].IndexOf((byte)0);
            if (!secret.Password.SequenceEqual(bytes.Span[(bytes.Span.IndexOf((byte)0) + 1)..second]))
            {
                throw new FuzzFindingException("the password read differs from the one written");
            }
        }
        catch (MediaException e) when (e.Errno == Errno.EINVAL)
        {
            // Refused: Mount answers InvalidArgs.
        }
    }

    private static SafeFileHandle PipeHolding(ReadOnlySpan<byte> content)
    {
        Span<int> fds = stackalloc int[2];
        if (Pipe(fds, OCloexec) != 0)
        {
            throw new IOException($"pipe2 failed: errno {Marshal.GetLastPInvokeError()}");
        }

        var read = new SafeFileHandle(fds[0], ownsHandle: true);
        using var write = new FileStream(new SafeFileHandle(fds[1], ownsHandle: true), FileAccess.Write, 1);
        write.Write(content);
        return read;
    }

    private const int OCloexec = 0x80000;

    [LibraryImport("libc", EntryPoint = "pipe2", SetLastError = true)]
    private static partial int Pipe(Span<int> fds, int flags);
}
