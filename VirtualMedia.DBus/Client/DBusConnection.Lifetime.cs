using System.Collections.Concurrent;

namespace VirtualMedia.DBus;

/// <content>Connecting and authenticating, starting the reader, disposing and closing.</content>
public sealed partial class DBusConnection
{
    private const string BusName = "org.freedesktop.DBus";
    private const string BusPath = "/org/freedesktop/DBus";

    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _readerDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<uint, PendingCall> _pending = new();
    private readonly CancellationTokenSource _closing = new();
    private readonly Lock _sendLock = new();
    private readonly Lock _matchLock = new();
    private readonly UnixSocket _socket;
    private readonly DBusConnectionOptions _options;
    private readonly MessageParser _parser;
    private readonly Timer _timeouts;
    private readonly bool _isBus;
    private readonly byte[] _leftover;
    private MatchSubscription[] _matches = [];
    private int _serial;
    private int _closed;
    private int _timeoutScanArmed;

    private DBusConnection(UnixSocket socket, DBusConnectionOptions options, bool isBus, bool unixFds, byte[] leftover)
    {
        _socket = socket;
        _options = options;
        _isBus = isBus;
        _leftover = leftover;
        UnixFdsSupported = unixFds;
        _parser = new MessageParser();
        Objects = options.Objects ?? new DBusObjectTree();
        _timeouts = new Timer(static state => ((DBusConnection)state!).ExpireCalls(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Closes the connection: pending calls fail, handlers' tokens are cancelled, <see cref="Completion"/> completes.</summary>
    public async ValueTask DisposeAsync()
    {
        Close(null);
        await _readerDone.Task.ConfigureAwait(false);
    }

    /// <summary>Wraps an accepted, authenticated peer socket (used by <see cref="DBusServer"/>, which calls <see cref="Start"/> once it tracks it).</summary>
    internal static DBusConnection Accept(UnixSocket socket, DBusConnectionOptions options, bool unixFds, byte[] leftover) =>
        new(socket, options, isBus: false, unixFds, leftover);

    private static async Task<DBusConnection> ConnectCoreAsync(string address, DBusConnectionOptions options, bool isBus, CancellationToken cancellationToken)
    {
        var parsed = DBusAddress.Parse(address);
        var connection = await Task.Run(
            () =>
            {
                var socket = UnixSocket.Connect(parsed);
                try
                {
                    using var abort = cancellationToken.Register(socket.Shutdown);
                    var unixFds = SaslHandshake.AuthenticateClient(socket);
                    cancellationToken.ThrowIfCancellationRequested();
                    return new DBusConnection(socket, options, isBus, unixFds, []);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            cancellationToken).ConfigureAwait(false);
        connection.Start();
        if (isBus)
        {
            try
            {
                using var reply = await connection.CallMethodAsync(BusName, BusPath, BusName, "Hello", cancellationToken: cancellationToken).ConfigureAwait(false);
                connection.UniqueName = reply.GetReader().ReadString();
            }
            catch
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        return connection;
    }

    internal void Start()
    {
        Objects.Attach(this);
        new Thread(ReadLoop) { IsBackground = true, Name = "D-Bus reader" }.Start();
    }

    private void Close(Exception? reason)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        _closing.Cancel();
        _socket.Shutdown();
        _timeouts.Dispose();
        Objects.Detach(this);
        foreach (var serial in _pending.Keys)
        {
            if (_pending.TryRemove(serial, out var call))
            {
                call.Fail(new DBusConnectionClosedException("the D-Bus connection closed before the reply arrived", reason));
            }
        }

        if (reason is null)
        {
            _completion.TrySetResult();
        }
        else
        {
            _completion.TrySetException(reason);
        }
    }
}
