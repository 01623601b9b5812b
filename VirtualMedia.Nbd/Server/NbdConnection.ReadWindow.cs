using VirtualMedia.Nbd.Protocol;

namespace VirtualMedia.Nbd.Server;

/// <summary>The read window: the bytes of reads a connection serves at once, bounded by what a lending source can hold.</summary>
/// <remarks>
/// One client with a deep queue (nbdcopy -C 1 -R 8 of 1 MiB, 8 MiB in flight) had all of the default 8 MiB read-ahead
/// cache in its reads and none left for the read-ahead window: its stream ran out of room at each GET's end, and reads
/// went around the cache. A 256 MiB image at 20 ms took 61-76 GETs over 31-42 connections at 150-200 MB/s, where four
/// such reads in flight took 8 GETs over 4 connections at 530 MB/s. Reads past the window wait on the socket as they
/// would in a full queue; the first one in goes however large it is.
/// </remarks>
internal sealed partial class NbdConnection
{
    private readonly Lock _windowLock = new();
    private readonly long _readWindow;
    private long _readBytesInFlight;
    private TaskCompletionSource<object>? _windowRoom;

    /// <summary>Waits for the read to fit in the window and counts it in; false when the client hung up meanwhile.</summary>
    private async ValueTask<bool> EnterReadWindowAsync(NbdRequest request, CancellationTokenSource connection)
    {
        while (request.Command == NbdCommand.Read)
        {
            Task<object> room;
            lock (_windowLock)
            {
                if (_readBytesInFlight == 0 || _readBytesInFlight + request.Length <= _readWindow)
                {
                    _readBytesInFlight += request.Length;
                    request.WindowBytes = request.Length;
                    return true;
                }

                _windowRoom ??= new TaskCompletionSource<object>(TaskCreationOptions.RunContinuationsAsynchronously);
                room = _windowRoom.Task;
            }

            // Nothing is reserved while waiting, so a hang-up has nothing to give back. Room also comes when a failed
            // reply's read is recycled: the connection is going down then, and the read is not served.
            if (await WhileListeningAsync(new ValueTask<object>(room), static _ => { }, 0, connection).ConfigureAwait(false) is null
                || connection.IsCancellationRequested)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Counts a read out of the window once it is answered or abandoned, and wakes a read waiting for room.</summary>
    private void LeaveReadWindow(NbdRequest request)
    {
        TaskCompletionSource<object>? room;
        lock (_windowLock)
        {
            if (request.WindowBytes == 0)
            {
                return;
            }

            _readBytesInFlight -= request.WindowBytes;
            request.WindowBytes = 0;
            room = _windowRoom;
            _windowRoom = null;
        }

        room?.TrySetResult(room);
    }
}
