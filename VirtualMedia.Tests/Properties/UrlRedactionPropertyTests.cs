using CsCheck;
using VirtualMedia.Nbd;
using VirtualMedia.Service.Errors;
using VirtualMedia.Service.Urls;

namespace VirtualMedia.Tests.Properties;

/// <summary>Whatever credentials or tokens a URL carries, what the service logs or answers never shows them.</summary>
/// <remarks>
/// Hosts and paths are spelled with a–h only and secrets always hold a letter from Q–Z, so a secret can only show in
/// the output by leaking (compared ignoring case: the URL parser may change case).
/// </remarks>
[TestFixture]
public sealed class UrlRedactionPropertyTests
{
    private static readonly Gen<string> Word = Gen.Char["abcdefgh"].Array[1, 8].Select(c => new string(c));

    /// <summary>A secret: a letter from Q–Z, then anything (escaped into the URL as a browser would).</summary>
    private static readonly Gen<string> Secret =
        Gen.Select(Gen.Char["QRSTUVWXYZ"], Gen.Char['\u0021', '\u00ff'].Array[3, 12], (first, rest) => first + new string(rest));

    private static readonly Gen<string> Host = Gen.OneOf(
        Word.Array[1, 3].Select(labels => string.Join('.', labels)),
        Gen.Byte.Array[4].Select(b => string.Join('.', b)),
        Gen.Const("[fd00::1]"));

    private static readonly Gen<(string Url, string[] Secrets)> Urls =
        Gen.Select(
            Gen.OneOf(Gen.Const("https"), Gen.Const("http"), Gen.Const("smb"), Gen.Const("nfs"), Gen.Const("cifs"), Gen.Const("HTTPS")),
            Secret, Secret, Host, Gen.Int[0, 65535].Array[0, 1], Word.Array[1, 4], Secret.Array[0, 2])
        .Select((scheme, user, password, host, port, path, query) =>
        {
            var authority = $"{Uri.EscapeDataString(user)}:{Uri.EscapeDataString(password)}@{host}{(port.Length > 0 ? ":" + port[0] : "")}";
            var search = query.Length == 0 ? "" : "?" + string.Join('&', query.Select((q, i) => $"k{i}={Uri.EscapeDataString(q)}"));
            return ($"{scheme}://{authority}/{string.Join('/', path)}.iso{search}", (string[])[user, password, .. query]);
        });

    [Test]
    public void RedactedUrlsShowNoCredentialOrQuery() =>
        Urls.Sample(
            sample => ShowsNone(UrlRedaction.Redact(sample.Url), sample),
            iter: 5000,
            print: sample => sample.Url);

    [Test]
    public void RefusedMountUrlsShowNoCredentialInTheError() =>
        Urls.Sample(
            sample =>
            {
                var refusal = FluentActions.Invoking(() => ImageUrl.Parse(sample.Url)).Should().Throw<MediaException>().Which;
                refusal.Errno.Should().Be(Errno.EINVAL);
                ShowsNone(refusal.Message, sample);
            },
            iter: 3000,
            print: sample => sample.Url);

    [Test]
    public void AcceptedMountUrlsLogNoQuery() =>
        Urls.Select(sample => (Url: RemoveUserInfo(sample.Url), Secrets: sample.Secrets[2..])).Sample(
            sample => ShowsNone(ImageUrl.Parse(sample.Url).ForLog, sample),
            iter: 3000,
            print: sample => sample.Url);

    private static void ShowsNone(string shown, (string Url, string[] Secrets) sample)
    {
        foreach (var secret in sample.Secrets)
        {
            shown.Should().NotContainEquivalentOf(secret).And.NotContainEquivalentOf(Uri.EscapeDataString(secret), $"{sample.Url} is shown as {shown}");
        }
    }

    private static string RemoveUserInfo(string url)
    {
        var start = url.IndexOf("://", StringComparison.Ordinal) + 3;
        return url[..start] + url[(url.IndexOf('@', start) + 1)..];
    }
}
