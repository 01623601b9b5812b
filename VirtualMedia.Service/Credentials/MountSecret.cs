using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Win32.SafeHandles;
using VirtualMedia.Nbd;
using VirtualMedia.Service.Errors;

namespace VirtualMedia.Service.Credentials;

/// <summary>
/// The user and password of a legacy Mount, read once from the pipe bmcweb passes
/// (<c>user\0password\0</c>, at most 1024 bytes), kept only in this object's buffer and wiped on dispose.
/// </summary>
internal sealed partial class MountSecret : IDisposable
{
    /// <summary>The most a secret may hold, terminators included (what bmcweb and the original accept).</summary>
    public const int MaxLength = 1024;

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);
    private readonly byte[] _buffer;
    private readonly int _userLength;
    private readonly int _passwordLength;

    private MountSecret(byte[] buffer, int userLength, int passwordLength)
    {
        _buffer = buffer;
        _userLength = userLength;
        _passwordLength = passwordLength;
    }

    /// <summary>No credentials.</summary>
    public static MountSecret None => new(new byte[2], 0, 0);

    /// <summary>True when both strings are empty.</summary>
    public bool IsEmpty => _userLength == 0 && _passwordLength == 0;

    /// <summary>The user name.</summary>
    public string User => Encoding.UTF8.GetString(_buffer, 0, _userLength);

    /// <summary>The password bytes (UTF-8), valid until dispose.</summary>
    public ReadOnlySpan<byte> Password => _buffer.AsSpan(_userLength + 1, _passwordLength);

    /// <summary>Checks and copies a secret; anything but exactly two NUL-terminated UTF-8 strings is EINVAL.</summary>
    public static MountSecret Parse(ReadOnlySpan<byte> data)
    {
        if (data.Length > MaxLength)
        {
            throw new MediaException(Errno.EINVAL, $"the secret is longer than {MaxLength} bytes");
        }

        var first = data.IndexOf((byte)0);
        var second = first < 0 ? -1 : data[(first + 1)..].IndexOf((byte)0) + first + 1;
        if (first < 0 || second <= first || second != data.Length - 1)
        {
            throw new MediaException(
                Errno.EINVAL, "the secret must be a user and a password, each ended by a NUL byte, and nothing else");
        }

        try
        {
            StrictUtf8.GetCharCount(data[..first]);
            StrictUtf8.GetCharCount(data[(first + 1)..second]);
        }
        catch (DecoderFallbackException)
        {
            throw new MediaException(Errno.EINVAL, "the secret's user or password is not valid UTF-8");
        }

        var buffer = GC.AllocateArray<byte>(data.Length, pinned: true);
        data.CopyTo(buffer);
        return new MountSecret(buffer, first, second - first - 1);
    }

    /// <summary>
    /// Reads the pipe up to the secret's second NUL, within <paramref name="timeout"/>, in as many pieces as it comes.
    /// </summary>
    /// <remarks>
    /// Never waits for end-of-file: bmcweb before Feb 2025 holds the write end open until Mount's reply arrives,
    /// and today's writes asynchronously, possibly after the call was sent (CONTRACT.md §1).
    /// </remarks>
    public static async Task<MountSecret> ReadAsync(SafeFileHandle pipe, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // poll() bounds every wait: a writer that never completes the secret cannot hold a D-Bus call forever.
        return await Task.Run(() => ReadBlocking(pipe, timeout, cancellationToken), cancellationToken);
    }

    /// <inheritdoc />
    public void Dispose() => CryptographicOperations.ZeroMemory(_buffer);

    private static MountSecret ReadBlocking(SafeFileHandle pipe, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var buffer = GC.AllocateArray<byte>(MaxLength + 1, pinned: true);
        var length = 0;
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        var added = false;
        pipe.DangerousAddRef(ref added);
        try
        {
            var fd = (int)pipe.DangerousGetHandle();
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var wait = (int)Math.Clamp(deadline - Environment.TickCount64, 0, 200);
                var poll = new PollFd { Fd = fd, Events = PollIn };
                var ready = Poll(ref poll, 1, wait);
                if (ready < 0 && (Errno)Marshal.GetLastPInvokeError() != Errno.EINTR)
                {
                    throw new MediaException(Errno.EINVAL, "the secret file descriptor cannot be read");
                }

                if (ready <= 0)
                {
                    if (Environment.TickCount64 >= deadline)
                    {
                        throw new MediaException(
                            Errno.EINVAL, $"the secret did not arrive within {timeout.TotalSeconds:0.#} s (no second NUL byte)");
                    }

                    continue;
                }

                var count = Read(fd, ref buffer[length], (nint)(buffer.Length - length));
                if (count < 0)
                {
                    if ((Errno)Marshal.GetLastPInvokeError() is Errno.EINTR or Errno.EAGAIN)
                    {
                        continue;
                    }

                    throw new MediaException(Errno.EINVAL, "the secret file descriptor cannot be read");
                }

                if (count == 0)
                {
                    throw new MediaException(
                        Errno.EINVAL, "the secret pipe was closed before the secret's second NUL byte");
                }

                length += (int)count;
                if (length > MaxLength)
                {
                    throw new MediaException(Errno.EINVAL, $"the secret is longer than {MaxLength} bytes");
                }

                // Complete at the second NUL; Parse refuses anything that came after it in the same read.
                if (buffer.AsSpan(0, length).Count((byte)0) >= 2)
                {
                    return Parse(buffer.AsSpan(0, length));
                }
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
            if (added)
            {
                pipe.DangerousRelease();
            }
        }
    }

    private const short PollIn = 0x001;

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int Poll(ref PollFd fds, nuint count, int timeoutMilliseconds);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint Read(int fd, ref byte buffer, nint count);
}
