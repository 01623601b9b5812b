using System.Net.Security;

namespace VirtualMedia.Service.ImageSources.Http;

/// <summary>The cipher suites offered to an image server: OpenSSL's default set, with the bulk cipher cheapest on this CPU first.</summary>
/// <remarks>
/// Decrypting the image is most of what a Mount costs a BMC's CPU, and the server usually takes the client's order (OpenSSL
/// and nginx do by default). OpenSSL puts AES-256-GCM first; with AES instructions AES-128-GCM does the same work in 10 rounds
/// instead of 14, and without them ChaCha20-Poly1305 is several times faster than either AES. Go and BoringSSL choose the same
/// way. Every suite of OpenSSL's default list is still offered, in its order within each group, so no server that accepted
/// us before is refused now.
/// </remarks>
internal static class TlsCipherPreference
{
    /// <summary>The policy for this CPU (none off Linux, where .NET cannot set one).</summary>
    public static CipherSuitesPolicy? Policy { get; } = OperatingSystem.IsLinux() ? new(Order(HasAesInstructions())) : null;

    /// <summary>Whether this CPU encrypts AES in hardware (AES-NI, or the ARMv8 cryptography extension).</summary>
    public static bool HasAesInstructions() =>
        System.Runtime.Intrinsics.X86.Aes.IsSupported || System.Runtime.Intrinsics.Arm.Aes.IsSupported;

    /// <summary>The suites in order of preference: forward-secret AEAD suites by bulk cipher, then the rest as OpenSSL orders them.</summary>
    public static IReadOnlyList<TlsCipherSuite> Order(bool aesInHardware)
    {
        TlsCipherSuite[] tls13 = aesInHardware
            ? [TlsCipherSuite.TLS_AES_128_GCM_SHA256, TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256, TlsCipherSuite.TLS_AES_256_GCM_SHA384]
            : [TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256, TlsCipherSuite.TLS_AES_128_GCM_SHA256, TlsCipherSuite.TLS_AES_256_GCM_SHA384];
        TlsCipherSuite[] ecdhe = aesInHardware
            ?
            [
                TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
                TlsCipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
            ]
            :
            [
                TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
                TlsCipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
                TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            ];
        return
        [
            .. tls13,
            .. ecdhe,
            TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            TlsCipherSuite.TLS_DHE_RSA_WITH_AES_256_GCM_SHA384,
            TlsCipherSuite.TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
            TlsCipherSuite.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,
            TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384,
            TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
            TlsCipherSuite.TLS_DHE_RSA_WITH_AES_256_CBC_SHA256,
            TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
            TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
            TlsCipherSuite.TLS_DHE_RSA_WITH_AES_128_CBC_SHA256,
            TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
            TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
            TlsCipherSuite.TLS_DHE_RSA_WITH_AES_256_CBC_SHA,
            TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
            TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
            TlsCipherSuite.TLS_DHE_RSA_WITH_AES_128_CBC_SHA,
            TlsCipherSuite.TLS_RSA_WITH_AES_256_GCM_SHA384,
            TlsCipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256,
            TlsCipherSuite.TLS_RSA_WITH_AES_256_CBC_SHA256,
            TlsCipherSuite.TLS_RSA_WITH_AES_128_CBC_SHA256,
            TlsCipherSuite.TLS_RSA_WITH_AES_256_CBC_SHA,
            TlsCipherSuite.TLS_RSA_WITH_AES_128_CBC_SHA,
        ];
    }
}
