using System.Globalization;

namespace VirtualMedia.Gadget.BlockDevice;

/// <summary>One attachment of an NBD block device to a server's unix socket, as nbd-client 3.24 takes it.</summary>
/// <param name="Socket">The slot's unix socket where the NBD server listens.</param>
/// <param name="Device">The device node (<c>/dev/nbd0</c>).</param>
/// <param name="TimeoutSeconds">Seconds the client gives the server to connect and to answer.</param>
/// <param name="BlockSize">Block size: 512, 1024, 2048 or 4096.</param>
/// <param name="ReadOnly">Tell the kernel the device is read-only (write-protected media).</param>
public sealed record NbdClientArguments(string Socket, string Device, int TimeoutSeconds, int BlockSize, bool ReadOnly)
{
    /// <summary>
    /// <c>-u socket device -t T -b B -n -L [-R]</c>: <c>-n</c> keeps the client in the foreground so its
    /// exit is seen, <c>-L</c> uses the ioctl interface (with netlink the client exits at once).
    /// </summary>
    public IReadOnlyList<string> ToCommandLine()
    {
        List<string> arguments =
        [
            "-u", Socket, Device,
            "-t", TimeoutSeconds.ToString(CultureInfo.InvariantCulture),
            "-b", BlockSize.ToString(CultureInfo.InvariantCulture),
            "-n", "-L",
        ];
        if (ReadOnly)
        {
            arguments.Add("-R");
        }

        return arguments;
    }
}
