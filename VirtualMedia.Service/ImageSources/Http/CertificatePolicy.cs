using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace VirtualMedia.Service.ImageSources.Http;

/// <summary>Server certificate checks: the system store, or — when a CA directory is configured — its CAs instead
/// of the system store, or nothing when verification is explicitly skipped.</summary>
internal static class CertificatePolicy
{
    [System.Diagnostics.CodeAnalysis.SuppressMessage(
        "Security", "CA5359", Justification = "Skipping is an explicit operator option, off by default and logged as a warning.")]
    public static RemoteCertificateValidationCallback Create(ImageSourceOptions options)
    {
        if (options.SkipCertificateVerification)
        {
            return (_, _, _, _) => true;
        }

        if (string.IsNullOrEmpty(options.CaDirectory))
        {
            return (_, _, _, errors) => errors == SslPolicyErrors.None;
        }

        var authorities = LoadAuthorities(options.CaDirectory);
        return (_, certificate, chain, errors) =>
        {
            // The operator's CAs replace the system store: a chain the system trusts counts for nothing here. The
            // host name and the certificate's presence are checked as always.
            if ((errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0 || authorities.Count == 0 || certificate is null)
            {
                return false;
            }

            using var custom = new X509Chain();
            custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            custom.ChainPolicy.CustomTrustStore.AddRange(authorities);
            custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            if (chain is not null)
            {
                foreach (var element in chain.ChainElements)
                {
                    custom.ChainPolicy.ExtraStore.Add(element.Certificate);
                }
            }

            using var leaf = new X509Certificate2(certificate);
            return custom.Build(leaf);
        };
    }

    private static X509Certificate2Collection LoadAuthorities(string? directory)
    {
        var authorities = new X509Certificate2Collection();
        if (string.IsNullOrEmpty(directory) || !Directory.Exists(directory))
        {
            return authorities;
        }

        foreach (var file in Directory.EnumerateFiles(directory))
        {
            if (file.EndsWith(".pem", StringComparison.OrdinalIgnoreCase)
                || file.EndsWith(".crt", StringComparison.OrdinalIgnoreCase))
            {
                authorities.ImportFromPemFile(file);
            }
        }

        return authorities;
    }
}
