using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace VirtualMedia.Service.ImageSources.Http;

/// <summary>Server certificate checks: the system store, plus the CAs of a configured directory, or nothing when
/// verification is explicitly skipped.</summary>
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

        var authorities = LoadAuthorities(options.CaDirectory);
        return (_, certificate, chain, errors) =>
        {
            if (errors == SslPolicyErrors.None)
            {
                return true;
            }

            // A configured CA can fix an unknown issuer, never a wrong host name or a missing certificate.
            if (errors != SslPolicyErrors.RemoteCertificateChainErrors || authorities.Count == 0
                || certificate is null)
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

            return custom.Build(new X509Certificate2(certificate));
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
