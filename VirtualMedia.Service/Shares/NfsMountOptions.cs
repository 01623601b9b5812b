using System.Globalization;
using System.Net;
using VirtualMedia.Service.Urls;

namespace VirtualMedia.Service.Shares;

/// <summary>Builds the NFS mount attempts for an <c>nfs://</c> image: NFSv4.2, 4.1, 4.0 (soft, bounded timeouts), then NFSv3 without locking.</summary>
/// <remarks>
/// The server address is given as <c>addr=</c> because the kernel does not resolve names.
/// <c>soft</c> with <c>timeo</c>/<c>retrans</c> makes a dead server fail reads after about
/// <see cref="TimeoutDeciseconds"/> × (<see cref="Retransmissions"/> + 1) instead of hanging the
/// NBD export forever; NFSv3 uses <c>nolock</c> because there is no lockd/statd on a BMC and the
/// image is only read (or written by one host).
/// </remarks>
internal static class NfsMountOptions
{
    /// <summary>Protocol versions tried, newest first.</summary>
    public static readonly IReadOnlyList<string> Versions = ["4.2", "4.1", "4.0", "3"];

    /// <summary>RPC timeout in tenths of a second.</summary>
    public const int TimeoutDeciseconds = 50;

    /// <summary>Retransmissions before a soft mount reports an error.</summary>
    public const int Retransmissions = 2;

    /// <summary>One attempt per version; the caller disposes them.</summary>
    public static IReadOnlyList<MountAttempt> Attempts(NfsUrl url, IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(address);
        return Versions.Select(version => Build(url, address, version)).ToList();
    }

    private static MountAttempt Build(NfsUrl url, IPAddress address, string version)
    {
        var data = new MountData()
            .Option("vers", version)
            .Option("proto", address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "tcp6" : "tcp")
            .Option("addr", address.ToString());
        if (url.Port is { } port)
        {
            data.Option("port", port.ToString(CultureInfo.InvariantCulture));
        }

        data.Flag("soft")
            .Option("timeo", TimeoutDeciseconds.ToString(CultureInfo.InvariantCulture))
            .Option("retrans", Retransmissions.ToString(CultureInfo.InvariantCulture));
        if (version == "3")
        {
            data.Flag("nolock").Option("mountproto", address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "tcp6" : "tcp");
        }

        return new MountAttempt("nfs", url.MountSource, version == "3" ? "NFSv3" : $"NFSv{version}", data);
    }
}
