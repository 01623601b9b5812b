using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace VirtualMedia.DBus;

/// <summary>A blocking unix stream socket with sendmsg/recvmsg, so unix fds travel as SCM_RIGHTS control messages.</summary>
internal sealed partial class UnixSocket : IDisposable
{
    /// <summary>Most fds taken from one recvmsg (dbus-daemon's own per-message limit is lower).</summary>
    public const int MaxFdsPerReceive = 253;

    private const int SolSocket = 1;
    private const int ScmRights = 1;
    private const int SoPeerCred = 17;
    private const int MsgNoSignal = 0x4000;
    private const int MsgCTrunc = 0x8;
    private const int MsgCmsgCloexec = 0x40000000;
    private const int FGetFl = 3;
    private const int FSetFl = 4;
    private const int ONonBlock = 0x800;
    private const int EIntr = 4;

    private readonly Socket _socket;

    public UnixSocket(Socket socket)
    {
        _socket = socket;
        MakeBlocking();
    }

    /// <summary>Connects to the socket of <paramref name="address"/>.</summary>
    public static UnixSocket Connect(DBusAddress address)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(EndPointOf(address));
            return new UnixSocket(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public static UnixDomainSocketEndPoint EndPointOf(DBusAddress address) =>
        new(address.Path ?? "\0" + address.AbstractName);

    /// <summary>Sends every byte of <paramref name="first"/> then <paramref name="second"/>, with <paramref name="fds"/> attached to the first byte.</summary>
    public unsafe void Send(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second, IReadOnlyList<SafeHandle> fds)
    {
        var fdCount = fds.Count;
        var controlLength = fdCount == 0 ? 0 : ControlSpace(fdCount * sizeof(int));
        Span<byte> control = controlLength <= 1024 ? stackalloc byte[controlLength] : new byte[controlLength];
        control.Clear();
        var added = 0;
        var handle = _socket.SafeHandle;
        var socketAdded = false;
        try
        {
            handle.DangerousAddRef(ref socketAdded);
            if (fdCount > 0)
            {
                ref var header = ref MemoryMarshal.AsRef<ControlHeader>(control);
                header.Length = (nuint)ControlLength(fdCount * sizeof(int));
                header.Level = SolSocket;
                header.Type = ScmRights;
                var data = MemoryMarshal.Cast<byte, int>(control[ControlAlign(sizeof(ControlHeader))..]);
                for (var i = 0; i < fdCount; i++)
                {
                    var success = false;
                    fds[i].DangerousAddRef(ref success);
                    added++;
                    data[i] = (int)fds[i].DangerousGetHandle();
                }
            }

            var fd = (int)handle.DangerousGetHandle();
            var total = first.Length + second.Length;
            var sent = 0;
            fixed (byte* firstPointer = first)
            fixed (byte* secondPointer = second)
            fixed (byte* controlPointer = control)
            {
                var vectors = stackalloc IoVector[2];
                while (sent < total)
                {
                    var count = 0;
                    if (sent < first.Length)
                    {
                        vectors[count++] = new IoVector { Base = firstPointer + sent, Length = (nuint)(first.Length - sent) };
                    }

                    var secondSent = Math.Max(0, sent - first.Length);
                    if (second.Length > secondSent)
                    {
                        vectors[count++] = new IoVector { Base = secondPointer + secondSent, Length = (nuint)(second.Length - secondSent) };
                    }

                    var message = new MessageHeader { Vectors = vectors, VectorCount = (nuint)count };
                    if (sent == 0 && controlLength > 0)
                    {
                        message.Control = controlPointer;
                        message.ControlLength = (nuint)controlLength;
                    }

                    var result = SendMessage(fd, &message, MsgNoSignal);
                    if (result < 0)
                    {
                        var errno = Marshal.GetLastPInvokeError();
                        if (errno == EIntr)
                        {
                            continue;
                        }

                        throw new DBusConnectionClosedException("sending on the D-Bus socket failed", new SocketException(errno));
                    }

                    sent += (int)result;
                }
            }
        }
        finally
        {
            for (var i = 0; i < added; i++)
            {
                fds[i].DangerousRelease();
            }

            if (socketAdded)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>Receives into <paramref name="buffer"/>; fds that came along are appended to <paramref name="fds"/>. 0 means the peer closed.</summary>
    public unsafe int Receive(Span<byte> buffer, Queue<SafeFileHandle> fds)
    {
        var controlLength = ControlSpace(MaxFdsPerReceive * sizeof(int));
        var control = stackalloc byte[controlLength];
        var handle = _socket.SafeHandle;
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var fd = (int)handle.DangerousGetHandle();
            fixed (byte* pointer = buffer)
            {
                while (true)
                {
                    var vector = new IoVector { Base = pointer, Length = (nuint)buffer.Length };
                    var message = new MessageHeader { Vectors = &vector, VectorCount = 1, Control = control, ControlLength = (nuint)controlLength };
                    var result = ReceiveMessage(fd, &message, MsgCmsgCloexec);
                    if (result < 0)
                    {
                        var errno = Marshal.GetLastPInvokeError();
                        if (errno == EIntr)
                        {
                            continue;
                        }

                        throw new DBusConnectionClosedException("receiving on the D-Bus socket failed", new SocketException(errno));
                    }

                    TakeFds(new ReadOnlySpan<byte>(control, (int)message.ControlLength), fds);
                    if ((message.Flags & MsgCTrunc) != 0)
                    {
                        throw new DBusProtocolException("the peer sent more unix fds than one message may carry");
                    }

                    return (int)result;
                }
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>The uid of the process at the other end (SO_PEERCRED).</summary>
    public unsafe uint PeerUserId()
    {
        var credentials = default(PeerCredentials);
        var length = (uint)sizeof(PeerCredentials);
        var handle = _socket.SafeHandle;
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            if (GetSocketOption((int)handle.DangerousGetHandle(), SolSocket, SoPeerCred, &credentials, &length) != 0)
            {
                throw new DBusAuthenticationException("cannot read the peer's credentials", new SocketException(Marshal.GetLastPInvokeError()));
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }

        return credentials.UserId;
    }

    /// <summary>Our effective uid, as EXTERNAL authentication sends it.</summary>
    public static uint EffectiveUserId() => GetEffectiveUserId();

    /// <summary>Wakes a blocked receive (it returns 0) and refuses further sends.</summary>
    public void Shutdown()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Already disconnected: nothing left to wake.
        }
        catch (ObjectDisposedException)
        {
            // Already closed.
        }
    }

    public void Dispose() => _socket.Dispose();

    private static int ControlAlign(int length) => (length + IntPtr.Size - 1) & ~(IntPtr.Size - 1);

    private static unsafe int ControlSpace(int dataLength) => ControlAlign(sizeof(ControlHeader)) + ControlAlign(dataLength);

    private static unsafe int ControlLength(int dataLength) => ControlAlign(sizeof(ControlHeader)) + dataLength;

    private static unsafe void TakeFds(ReadOnlySpan<byte> control, Queue<SafeFileHandle> fds)
    {
        var offset = 0;
        var headerSize = ControlAlign(sizeof(ControlHeader));
        while (offset + sizeof(ControlHeader) <= control.Length)
        {
            var header = MemoryMarshal.Read<ControlHeader>(control[offset..]);
            var length = (int)header.Length;
            if (length < sizeof(ControlHeader) || offset + length > control.Length)
            {
                break;
            }

            if (header.Level == SolSocket && header.Type == ScmRights)
            {
                var data = MemoryMarshal.Cast<byte, int>(control.Slice(offset + headerSize, length - headerSize));
                foreach (var fd in data)
                {
                    fds.Enqueue(new SafeFileHandle(fd, ownsHandle: true));
                }
            }

            offset += ControlAlign(length);
        }
    }

    private void MakeBlocking()
    {
        var handle = _socket.SafeHandle;
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var fd = (int)handle.DangerousGetHandle();
            var flags = FileControl(fd, FGetFl, 0);
            if (flags >= 0 && (flags & ONonBlock) != 0)
            {
                _ = FileControl(fd, FSetFl, flags & ~ONonBlock);
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    private static unsafe partial nint SendMessage(int fd, MessageHeader* message, int flags);

    [LibraryImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
    private static unsafe partial nint ReceiveMessage(int fd, MessageHeader* message, int flags);

    [LibraryImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
    private static unsafe partial int GetSocketOption(int fd, int level, int name, void* value, uint* length);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int FileControl(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUserId();

    // struct msghdr (glibc; size_t-sized fields are pointer-sized on 32- and 64-bit).
    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct MessageHeader
    {
        public void* Name;
        public uint NameLength;
        public IoVector* Vectors;
        public nuint VectorCount;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct IoVector
    {
        public void* Base;
        public nuint Length;
    }

    // struct cmsghdr: size_t cmsg_len; int cmsg_level; int cmsg_type.
    [StructLayout(LayoutKind.Sequential)]
    private struct ControlHeader
    {
        public nuint Length;
        public int Level;
        public int Type;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PeerCredentials
    {
        public int ProcessId;
        public uint UserId;
        public uint GroupId;
    }
}
