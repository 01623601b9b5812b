using VirtualMedia.Service.Urls;

namespace VirtualMedia.Tests.ImageSources;

[TestFixture]
public sealed class UrlRedactionTests
{
    [TestCase("https://admin:hunter2@bmc.example/images/a.iso", "https://bmc.example/images/a.iso")]
    [TestCase("https://host:8443/a.iso?X-Signature=abc123", "https://host:8443/a.iso?<redacted>")]
    [TestCase("http://user@host/a%20b.iso", "http://host/a%20b.iso")]
    [TestCase("file:///srv/images/a.iso", "file:///srv/images/a.iso")]
    [TestCase("", "<empty URL>")]
    [TestCase("ht!tp://user:pw@@", "<malformed URL>")]
    // Found by fuzzing (fuzz/regressions/image-url): an authority that Uri accepts but cannot rebuild into a new Uri.
    [TestCase("nfs:////x(a/b.iso", "nfs:////x(a/b.iso")]
    [TestCase("nfs:////x(a/b.iso?abc123", "nfs:////x(a/b.iso?<redacted>")]
    public void RemovesCredentialsAndQueries(string url, string expected)
    {
        var redacted = UrlRedaction.Redact(url);

        redacted.Should().Be(expected);
        redacted.Should().NotContain("hunter2").And.NotContain("abc123");
    }
}
