using System.Net.Sockets;

namespace VirtualMedia.Nbd;

/// <summary>Accepts NBD clients on a unix socket (0600, in a 0700 directory) and hands them to an <see cref="NbdServer"/>.</summary>
public sealed class NbdUnixListener : IAsyncDisposable
{
    private const UnixFileMode PrivateDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode PrivateSocket = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const int SendBufferSize = 1024 * 1024;

    /// <summary>Connections the kernel queues before they are accepted: a burst of clients connecting at once (a
    /// tester's 64, nbdcopy's 4 per run) must not see EAGAIN; the kernel caps it at net.core.somaxconn.</summary>
    private const int Backlog = 128;

    private readonly NbdServer _server;
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private readonly HashSet<Task> _connections = [];

    private NbdUnixListener(NbdServer server, Socket socket, string socketPath)
    {
        _server = server;
        _socket = socket;
        SocketPath = socketPath;
        _acceptLoop = AcceptAsync(_stop.Token);
    }

    /// <summary>Path of the socket file.</summary>
    public string SocketPath { get; }

    /// <summary>Creates the socket at <paramref name="socketPath"/> and starts accepting clients.</summary>
    /// <remarks>The parent directory is created 0700 when missing and must not be accessible to others
    /// when it exists; a stale socket file at the path is replaced.</remarks>
    public static NbdUnixListener Start(NbdServer server, string socketPath)
    {
        ArgumentNullException.ThrowIfNull(server);
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("NBD unix sockets need a Unix file system");
        }

        socketPath = Path.GetFullPath(socketPath);
        var directory = Path.GetDirectoryName(socketPath)!;
        if (!Directory.Exists(directory))
        {
            Directory.CreateDirectory(directory, PrivateDirectory);
        }

        var mode = File.GetUnixFileMode(directory);
        if ((mode & ~PrivateDirectory) != 0)
        {
            throw new IOException(
                $"{directory} is accessible to other users ({Convert.ToString((int)mode, 8)}); NBD sockets need a 0700 directory");
        }

        if (File.Exists(socketPath))
        {
            File.Delete(socketPath);
        }

        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(socketPath));
            File.SetUnixFileMode(socketPath, PrivateSocket);
            socket.Listen(Backlog);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new NbdUnixListener(server, socket, socketPath);
    }

    /// <summary>Stops accepting, disconnects every client and removes the socket file.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        Task[] connections;
        lock (_connections)
        {
            connections = [.. _connections];
        }

        await Task.WhenAll(connections).ConfigureAwait(false);
        if (File.Exists(SocketPath))
        {
            File.Delete(SocketPath);
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _socket.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            var connection = ServeAsync(client, cancellationToken);
            lock (_connections)
            {
                _connections.Add(connection);
            }

            _ = connection.ContinueWith(
                done =>
                {
                    lock (_connections)
                    {
                        _connections.Remove(done);
                    }
                },
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    private async Task ServeAsync(Socket client, CancellationToken cancellationToken)
    {
        await Task.Yield();
        // A whole 256 KiB..1 MiB read reply fits in the socket at once: one send, no wait for room in between.
        client.SendBufferSize = SendBufferSize;
        var stream = new NetworkStream(client, ownsSocket: true);
        await using var streamDisposal = stream.ConfigureAwait(false);
        try
        {
            await _server.ServeAsync(stream, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Listener stopping: the client sees the socket close.
        }
    }
}
