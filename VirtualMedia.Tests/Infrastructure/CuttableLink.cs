using System.Net;
using System.Net.Sockets;

namespace VirtualMedia.Tests.Infrastructure;

/// <summary>
/// A TCP relay on 127.0.0.1 in front of a real server, standing in for a network link that can be cut: once cut, it
/// accepts and holds connections but carries no byte either way (no reset, no close), as a dead route looks to both
/// ends until their own timeouts fire; restored, new connections flow again.
/// </summary>
public sealed class CuttableLink : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _relays = [];
    private readonly Task _accepting;
    private volatile bool _cut;

    private CuttableLink(int target)
    {
        _target = target;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>The port clients connect to.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Starts relaying to <paramref name="targetPort"/> on 127.0.0.1.</summary>
    public static CuttableLink To(int targetPort) => new(targetPort);

    /// <summary>Stops carrying bytes on every connection, open or new.</summary>
    public void Cut() => _cut = true;

    /// <summary>Carries bytes again (connections held while cut stay dead, as after a real outage).</summary>
    public void Restore() => _cut = false;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        Task[] relays;
        lock (_relays)
        {
            relays = [.. _relays];
        }

        await Task.WhenAll(relays);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                lock (_relays)
                {
                    _relays.Add(RelayAsync(client));
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Disposed.
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using (client)
        {
            if (_cut)
            {
                await HoldAsync();
                return;
            }

            using var server = new TcpClient();
            try
            {
                await server.ConnectAsync(IPAddress.Loopback, _target, _stop.Token);
                using var either = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                var up = PumpAsync(client.GetStream(), server.GetStream(), either.Token);
                var down = PumpAsync(server.GetStream(), client.GetStream(), either.Token);
                await Task.WhenAny(up, down);
                await either.CancelAsync();
                await Task.WhenAll(up, down);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or IOException)
            {
                // The server refused or the link was disposed.
            }
        }
    }

    private async Task PumpAsync(Stream from, Stream to, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReadAsync(buffer, cancellationToken);
                if (read == 0)
                {
                    return;
                }

                if (_cut)
                {
                    await HoldAsync();
                    return;
                }

                await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // Either end went away.
        }
    }

    private async Task HoldAsync()
    {
        try
        {
            await Task.Delay(Timeout.Infinite, _stop.Token);
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
    }
}
