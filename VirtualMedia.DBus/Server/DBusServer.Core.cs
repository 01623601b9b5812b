using System.Net.Sockets;

namespace VirtualMedia.DBus;

/// <content>The accept loop and the peers' lifetimes.</content>
public sealed partial class DBusServer
{
    private const int MaxRecentFailures = 16;
    private readonly Socket _listener;
    private readonly DBusConnectionOptions _options;
    private readonly Guid _serverId = Guid.NewGuid();
    private readonly List<DBusConnection> _connections = [];
    private readonly Queue<Exception> _failures = new();
    private readonly Lock _lock = new();
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string? _socketPath;
    private volatile bool _disposed;

    private DBusServer(DBusAddress address, DBusObjectTree objects, DBusConnectionOptions options)
    {
        Address = address.ToString();
        Objects = objects;
        _options = options with { Objects = objects };
        _socketPath = address.Path;
        if (_socketPath is not null)
        {
            SocketFile.RemoveIfStale(_socketPath);
        }

        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            _listener.Bind(UnixSocket.EndPointOf(address));
            _listener.Listen(16);
        }
        catch
        {
            _listener.Dispose();
            throw;
        }

        new Thread(AcceptLoop) { IsBackground = true, Name = "D-Bus server accept" }.Start();
    }

    /// <summary>Stops listening and closes every peer connection.</summary>
    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        _listener.Dispose();
        await _stopped.Task.ConfigureAwait(false);
        if (_socketPath is not null)
        {
            File.Delete(_socketPath);
        }

        DBusConnection[] connections;
        lock (_lock)
        {
            connections = [.. _connections];
        }

        foreach (var connection in connections)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private int CountConnections()
    {
        lock (_lock)
        {
            return _connections.Count;
        }
    }

    private IReadOnlyList<Exception> SnapshotFailures()
    {
        lock (_lock)
        {
            return [.. _failures];
        }
    }

    private void AcceptLoop()
    {
        try
        {
            while (!_disposed)
            {
                Socket accepted;
                try
                {
                    accepted = _listener.Accept();
                }
                catch (SocketException) when (_disposed)
                {
                    break;
                }
                catch (ObjectDisposedException)
                {
                    break;
                }

                // Each peer authenticates on its own thread so a silent one cannot hold up the others.
                new Thread(() => Authenticate(accepted)) { IsBackground = true, Name = "D-Bus server auth" }.Start();
            }
        }
        finally
        {
            _stopped.TrySetResult();
        }
    }

    private void Authenticate(Socket accepted)
    {
        var socket = new UnixSocket(accepted);
        try
        {
            accepted.ReceiveTimeout = 10_000;
            var (unixFds, leftover) = SaslHandshake.AuthenticateServer(socket, _serverId);
            accepted.ReceiveTimeout = 0;
            var connection = DBusConnection.Accept(socket, _options, unixFds, leftover);

            // Tracked before it reads its first message, so a peer that has had an answer is counted,
            // and started under the lock, so DisposeAsync either closes it or it is never started.
            lock (_lock)
            {
                if (_disposed)
                {
                    socket.Dispose();
                    return;
                }

                _connections.Add(connection);
                connection.Start();
            }

            _ = connection.Completion.ContinueWith(
                completed => Forget(connection, completed.Exception?.InnerException),
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
        catch (DBusException e)
        {
            Record(e);
            socket.Dispose();
        }
    }

    private void Forget(DBusConnection connection, Exception? reason)
    {
        lock (_lock)
        {
            _connections.Remove(connection);
        }

        if (reason is DBusProtocolException)
        {
            Record(reason);
        }
    }

    private void Record(Exception failure)
    {
        lock (_lock)
        {
            _failures.Enqueue(failure);
            if (_failures.Count > MaxRecentFailures)
            {
                _failures.Dequeue();
            }
        }
    }
}
