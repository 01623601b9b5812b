namespace VirtualMedia.Tests.Guest.Installed;

/// <summary>The configuration the installed suite places in /etc and the images it serves.</summary>
internal static class InstalledImages
{
    /// <summary>Image size: the emulated chain moves ~1-17 MB/s, and a CD's size must be a multiple of 2048.</summary>
    public const int Size = 4 << 20;

    /// <summary>The service's default ImageDirectory, where file:// images may live.</summary>
    public const string Directory = "/var/lib/virtual-media/images";

    /// <summary>One proxy slot, a legacy CD and a legacy stick; HTTPS verified against the guest nginx's CA.</summary>
    public static string TestConfiguration(string caDirectory) => $$"""
        {
          "InactivityTimeout": 1800,
          "CaDirectory": "{{caDirectory}}",
          "SourceOutageSeconds": 6,
          "MountPoints": {
            "Slot_0": { "EndpointId": "/nbd/0", "Mode": 0, "NBDDevice": "nbd0",
                        "UnixSocket": "/run/virtual-media/nbd0.sock", "Timeout": 30, "BlockSize": 512 },
            "Slot_2": { "EndpointId": "", "Mode": 1, "NBDDevice": "nbd2", "MediaType": "CD",
                        "UnixSocket": "/run/virtual-media/nbd2.sock", "Timeout": 90, "BlockSize": 512 },
            "Slot_3": { "EndpointId": "", "Mode": 1, "NBDDevice": "nbd3",
                        "UnixSocket": "/run/virtual-media/nbd3.sock", "Timeout": 90, "BlockSize": 512 }
          }
        }
        """;

    /// <summary>The NBD device the test configuration gives <paramref name="slot"/>.</summary>
    public static string NbdOf(string slot) => "nbd" + slot[^1];

    /// <summary>
    /// A drop-in giving the service an empty system trust store (OpenSSL's SSL_CERT_FILE and SSL_CERT_DIR), so
    /// that the image server is trusted through CaDirectory alone. Why: under emulation, loading the host's ~140
    /// root certificates makes each process's first TLS handshake take longer than the service's fixed 5 s probe
    /// (seen: the first HTTPS Mount after every start refused with "no answer within the probe time", the next
    /// ones answered in 0.1-0.2 s). The unit's own lines stay as shipped.
    /// </summary>
    public static async Task EmptySystemTrustStoreAsync(CancellationToken cancellationToken)
    {
        const string DropIns = "/etc/systemd/system/virtual-media.service.d";
        System.IO.Directory.CreateDirectory(DropIns);
        await File.WriteAllTextAsync(
            Path.Combine(DropIns, "test-trust-store.conf"),
            "[Service]\nEnvironment=SSL_CERT_FILE=/nonexistent SSL_CERT_DIR=/nonexistent\n",
            cancellationToken);
        await GuestProgram.RunAsync("systemctl", ["daemon-reload"], cancellationToken);
    }
}
