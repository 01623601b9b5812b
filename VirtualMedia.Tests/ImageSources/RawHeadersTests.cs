using VirtualMedia.Service.ImageSources.Http;

namespace VirtualMedia.Tests.ImageSources;

/// <summary>Headers read as sent: the common Content-Range form parsed without allocating, anything else left to the
/// typed parser, and a header's single value or none.</summary>
[TestFixture]
public sealed class RawHeadersTests
{
    [TestCase("bytes 0-4095/1073741824", 0L, 4095L, 1073741824L)]
    [TestCase("bytes 1073737728-1073741823/1073741824", 1073737728L, 1073741823L, 1073741824L)]
    [TestCase("bytes 5-5/6", 5L, 5L, 6L)]
    public void TheCommonFormIsParsed(string text, long first, long last, long complete)
    {
        RawHeaders.TryParseContentRange(text, out var f, out var l, out var c).Should().BeTrue();
        (f, l, c).Should().Be((first, last, complete));
    }

    [TestCase(null)]
    [TestCase("")]
    [TestCase("bytes */1024")]
    [TestCase("bytes 0-4095/*")]
    [TestCase("Bytes 0-4095/8192")]
    [TestCase("items 0-4095/8192")]
    [TestCase("bytes  0-4095/8192")]
    [TestCase("bytes 0-4095 /8192")]
    [TestCase("bytes -1-4095/8192")]
    [TestCase("bytes 0/4095-8192")]
    [TestCase("bytes 0-4095/8192/1")]
    [TestCase("bytes 99999999999999999999-1/2")]
    public void AnythingElseIsLeftToTheTypedParser(string? text) =>
        RawHeaders.TryParseContentRange(text, out _, out _, out _).Should().BeFalse();

    [Test]
    public void ASingleValueIsReturnedAsSentAndAMissingOrRepeatedOneIsNot()
    {
        using var response = new HttpResponseMessage();
        response.Headers.TryAddWithoutValidation("ETag", "\"6931b0c2-100000\"");
        response.Headers.TryAddWithoutValidation("Warning", "110 - \"one\"");
        response.Headers.TryAddWithoutValidation("Warning", "110 - \"two\"");

        RawHeaders.Single(response.Headers, "ETag").Should().Be("\"6931b0c2-100000\"");
        RawHeaders.Single(response.Headers, "Warning").Should().BeNull();
        RawHeaders.Single(response.Headers, "Age").Should().BeNull();
    }
}
