using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace VirtualMedia.Fuzz.Harness;

/// <summary>socketpair(2) of unix stream sockets: an accepted connection and its peer, without a socket file.</summary>
public static partial class SocketPair
{
    private const int AfUnix = 1;
    private const int SockStream = 1;
    private const int SockCloexec = 0x80000;

    /// <summary>Two connected sockets.</summary>
    public static (Socket First, Socket Second) Create()
    {
        Span<int> fds = stackalloc int[2];
        if (NativeSocketPair(AfUnix, SockStream | SockCloexec, 0, fds) != 0)
        {
            throw new IOException($"socketpair failed: errno {Marshal.GetLastPInvokeError()}");
        }

        return (new Socket(new SafeSocketHandle(fds[0], ownsHandle: true)), new Socket(new SafeSocketHandle(fds[1], ownsHandle: true)));
    }

    [LibraryImport("libc", EntryPoint = "socketpair", SetLastError = true)]
    private static partial int NativeSocketPair(int domain, int type, int protocol, Span<int> fds);
}
