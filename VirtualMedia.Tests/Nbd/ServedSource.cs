using VirtualMedia.Nbd;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.Nbd;

/// <summary>One source exported by a real <see cref="NbdServer"/> on a unix socket in a temp dir, with the server at
/// hand for its buffer budget.</summary>
internal sealed record ServedSource(TempDirectory Directory, NbdServer Server, NbdUnixListener Listener) : IAsyncDisposable
{
    public string SocketPath => Listener.SocketPath;

    public string Uri => $"nbd+unix:///?socket={SocketPath}";

    public static ServedSource Start(IImageSource source, NbdServerOptions options)
    {
        var directory = new TempDirectory("vm-nbd");
        var server = new NbdServer(new NbdExport(source), options);
        return new ServedSource(directory, server, NbdUnixListener.Start(server, directory.Combine("nbd.sock")));
    }

    public async ValueTask DisposeAsync()
    {
        await Listener.DisposeAsync();
        Directory.Dispose();
    }
}
