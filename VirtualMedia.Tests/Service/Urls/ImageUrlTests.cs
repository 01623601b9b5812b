using VirtualMedia.Nbd;
using VirtualMedia.Service.Errors;
using VirtualMedia.Service.Urls;

namespace VirtualMedia.Tests.Service.Urls;

public sealed class ImageUrlTests
{
    [TestCase("https://images.example/os/install.iso", ImageScheme.Https)]
    [TestCase("http://127.0.0.1:8080/a.img", ImageScheme.Http)]
    [TestCase("file:///var/lib/virtual-media/images/a.iso", ImageScheme.File)]
    [TestCase("smb://server/share/dir/a.iso", ImageScheme.Smb)]
    [TestCase("nfs://server/export/a.iso", ImageScheme.Nfs)]
    public void Known_schemes_are_recognised(string text, ImageScheme scheme)
    {
        var url = ImageUrl.Parse(text);

        url.Scheme.Should().Be(scheme);
        url.Published.Should().Be(text);
    }

    [TestCase("")]
    [TestCase("not a url")]
    [TestCase("/relative/path.iso")]
    [TestCase("ftp://server/a.iso")]
    [TestCase("https://")]
    [TestCase("https://server/")]
    [TestCase("https://server/a\n.iso")]
    [TestCase("https://user:secret@server/a.iso")]
    public void Malformed_urls_and_unknown_schemes_are_EINVAL(string text)
    {
        var act = () => ImageUrl.Parse(text);

        act.Should().Throw<MediaException>().Which.Errno.Should().Be(Errno.EINVAL);
    }

    [Test]
    public void Credentials_in_a_url_never_reach_the_message()
    {
        var act = () => ImageUrl.Parse("https://admin:hunter2@server/a.iso");

        var error = act.Should().Throw<MediaException>().Which;
        error.Message.Should().NotContain("hunter2").And.NotContain("admin");
    }

    [Test]
    public void Logs_get_the_url_without_its_query()
    {
        ImageUrl.Parse("https://server:8443/a.iso?X-Amz-Signature=abc").ForLog
            .Should().Be("https://server:8443/a.iso?<redacted>");
    }
}
