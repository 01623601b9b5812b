using VirtualMedia.Nbd;
using VirtualMedia.Nbd.Sources;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.Nbd;

/// <summary>A file of random bytes exported by a real <see cref="NbdServer"/> on a unix socket in a temp dir.</summary>
internal sealed class NbdTestExport : IAsyncDisposable
{
    private readonly TempDirectory _directory;

    private NbdTestExport(TempDirectory directory, string imagePath, byte[] content, NbdExport export, NbdUnixListener listener)
    {
        _directory = directory;
        ImagePath = imagePath;
        Content = content;
        Export = export;
        Listener = listener;
    }

    public string ImagePath { get; }

    public byte[] Content { get; }

    public NbdExport Export { get; }

    public NbdUnixListener Listener { get; }

    public string SocketPath => Listener.SocketPath;

    public string Uri => $"nbd+unix:///?socket={SocketPath}";

    public static NbdTestExport Start(int size = 4 * 1024 * 1024, bool writable = false, IImageSource? source = null)
    {
        var directory = new TempDirectory("vm-nbd");
        var content = new byte[size];
        new Random(size).NextBytes(content);
        var imagePath = directory.Combine("image.img");
        File.WriteAllBytes(imagePath, content);
        var export = new NbdExport(source ?? FileImageSource.Open(imagePath, writable), "", "test image");
        var listener = NbdUnixListener.Start(new NbdServer(export, new NbdServerOptions { ConnectionFailed = e => Console.Error.WriteLine($"connection failed: {e}") }), directory.Combine("run/nbd.sock"));
        return new NbdTestExport(directory, imagePath, content, export, listener);
    }

    public async ValueTask DisposeAsync()
    {
        await Listener.DisposeAsync();
        await Export.Source.DisposeAsync();
        _directory.Dispose();
    }
}
