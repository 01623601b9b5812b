using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace VirtualMedia.DBus;

/// <summary>Clears the way for a listener at a socket path: removes a socket a dead server left behind, refuses anything else.</summary>
internal static partial class SocketFile
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1;
    private const ushort TypeMask = 0xf000;
    private const ushort TypeSocket = 0xc000;
    private const int ENoEnt = 2;

    /// <summary>Removes the file at <paramref name="path"/> when it is a socket nobody listens on; throws <see cref="IOException"/>
    /// when it is a live socket or not a socket at all.</summary>
    public static void RemoveIfStale(string path)
    {
        if (!TryGetType(path, out var type))
        {
            return;
        }

        if (type != TypeSocket)
        {
            throw new IOException($"cannot listen at {path}: the file there is not a socket");
        }

        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            // Nobody accepts there: the server that made it is gone.
            File.Delete(path);
            return;
        }
        catch (SocketException e)
        {
            throw new IOException($"cannot listen at {path}: the socket there cannot be probed ({e.Message})", e);
        }

        throw new IOException($"cannot listen at {path}: the socket is in use by a live server");
    }

    // statx rather than lstat: its layout is the same on every architecture a BMC may have.
    private static unsafe bool TryGetType(string path, out ushort type)
    {
        var buffer = stackalloc byte[256];
        if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxType, buffer) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            type = 0;
            if (errno == ENoEnt)
            {
                return false;
            }

            throw new IOException($"cannot listen at {path}: {Marshal.GetPInvokeErrorMessage(errno)}");
        }

        // struct statx: stx_mode is the u16 at offset 28.
        type = (ushort)(*(ushort*)(buffer + 28) & TypeMask);
        return true;
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Statx(int directoryFd, string path, int flags, uint mask, byte* buffer);
}
