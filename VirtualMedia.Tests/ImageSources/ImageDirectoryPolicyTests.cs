using VirtualMedia.Nbd;
using VirtualMedia.Service.Activation;
using VirtualMedia.Service.ImageSources;
using VirtualMedia.Service.Urls;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.ImageSources;

/// <summary>file:// images: only from inside the image directory, however the path or its symlinks try to leave it.</summary>
[TestFixture]
public sealed class ImageDirectoryPolicyTests
{
    private TempDirectory _root = null!;
    private string _images = null!;

    [SetUp]
    public void CreateTree()
    {
        _root = new TempDirectory("vm-images");
        _images = _root.Combine("images");
        Directory.CreateDirectory(Path.Combine(_images, "sub"));
        File.WriteAllBytes(Path.Combine(_images, "sub", "disk.img"), new byte[8192]);
        File.WriteAllBytes(_root.Combine("secret.img"), new byte[4096]);
        File.CreateSymbolicLink(Path.Combine(_images, "escape.img"), _root.Combine("secret.img"));
        Directory.CreateSymbolicLink(Path.Combine(_images, "outside"), _root.Path);
        File.CreateSymbolicLink(Path.Combine(_images, "alias.img"), Path.Combine(_images, "sub", "disk.img"));
    }

    [TearDown]
    public void RemoveTree() => _root.Dispose();

    [Test]
    public async Task ImageInsideTheDirectoryOpens()
    {
        await using var source = await OpenAsync($"file://{_images}/sub/disk.img");
        source.Size.Should().Be(8192);
        source.IsWritable.Should().BeFalse();
    }

    [Test]
    public async Task SymlinkThatStaysInsideOpens()
    {
        await using var source = await OpenAsync($"file://{_images}/alias.img");
        source.Size.Should().Be(8192);
    }

    [Test]
    public async Task WritableWhenAskedFor()
    {
        await using var source = await OpenAsync($"file://{_images}/sub/disk.img", writable: true);
        source.IsWritable.Should().BeTrue();
    }

    [TestCase("escape.img", TestName = "file symlink pointing outside")]
    [TestCase("outside/secret.img", TestName = "directory symlink pointing outside")]
    [TestCase("sub/../../secret.img", TestName = "dot-dot escape")]
    [TestCase("%2E%2E/secret.img", TestName = "encoded dot-dot escape")]
    public async Task EscapesAreRefused(string relative)
    {
        var act = () => OpenAsync($"file://{_images}/{relative}");
        (await act.Should().ThrowAsync<ImageSourceException>()).Which.Errno.Should().Be(Errno.EACCES);
    }

    [Test]
    public async Task MissingFileIsEnoent()
    {
        var act = () => OpenAsync($"file://{_images}/nope.img");
        (await act.Should().ThrowAsync<ImageSourceException>()).Which.Errno.Should().Be(Errno.ENOENT);
    }

    [Test]
    public async Task FileUrlsAreRefusedWithoutAnImageDirectory()
    {
        var act = () => new ImageSourceFactory().CreateAsync(
            ImageUrl.FromCommandLine($"file://{_images}/sub/disk.img"), new ImageSourceOptions(), null, CancellationToken.None);
        (await act.Should().ThrowAsync<ImageSourceException>()).Which.Errno.Should().Be(Errno.ENOTSUP);
    }

    private async Task<IImageSource> OpenAsync(string url, bool writable = false) =>
        await new ImageSourceFactory().CreateAsync(
            ImageUrl.FromCommandLine(url), new ImageSourceOptions { ImageDirectory = _images, Writable = writable }, null, CancellationToken.None);
}
