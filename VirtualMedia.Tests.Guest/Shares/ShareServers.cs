using System.Text;
using VirtualMedia.Service.Shares;
using VirtualMedia.Service.Urls;

namespace VirtualMedia.Tests.Guest.Shares;

/// <summary>The smbd and nfsd that scripts/kernel-vm/shares/start-servers started on the guest's loopback.</summary>
internal static class ShareServers
{
    /// <summary>The directory given to start-servers (<c>SHARES_DIR</c>).</summary>
    public static string Directory { get; } = Environment.GetEnvironmentVariable("SHARES_DIR") ?? "/tmp/shares";

    /// <summary>The source of the read-only exports' test image, as the servers see it.</summary>
    public static string ReadOnlyImage => Path.Combine(Directory, "ro", "images", "test.img");

    /// <summary>The read-write exports' image, as the servers see it.</summary>
    public static string ReadWriteImage => Path.Combine(Directory, "rw", "rw.img");

    public static ShareCredentials Root => new("root", Encoding.UTF8.GetBytes(Password));

    public static ShareCredentials WrongPassword => new("root", Encoding.UTF8.GetBytes(Password + "x"));

    public static string Password => Environment.GetEnvironmentVariable("SHARES_PASSWORD") ?? string.Empty;

    public static ShareUrl Smb(string path) => ShareUrl.Parse("smb://127.0.0.1/" + path);

    public static ShareUrl Nfs(string path) => ShareUrl.Parse("nfs://127.0.0.1" + Directory + "/" + path);
}
