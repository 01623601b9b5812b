using VirtualMedia.Nbd;
using VirtualMedia.Nbd.Client;

namespace VirtualMedia.Gadget.Sandbox;

/// <summary>
/// What the sandbox's <c>/dev/nbdX</c> holds: every request forwarded to the slot's NBD server
/// through our client, and counted in <c>sys/block/nbdX/stat</c> as the kernel counts it.
/// </summary>
internal sealed class SandboxDeviceImage(NbdClient client, SandboxBlockDevice device, bool readOnly, Action<Exception> failed)
    : IImageSource
{
    public long Size => client.Size;

    public bool IsWritable => !readOnly && !client.IsReadOnly;

    public bool CanFlush => IsWritable;

    public bool CanTrim => false;

    public bool CanMultiConn => false;

    public async ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        await Forward(client.ReadAsync(offset, buffer, cancellationToken)).ConfigureAwait(false);
        device.CountRead(buffer.Length);
    }

    public async ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        await Forward(client.WriteAsync(offset, data, cancellationToken)).ConfigureAwait(false);
        device.CountWrite(data.Length);
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken) => new(Forward(client.FlushAsync(cancellationToken)));

    public ValueTask TrimAsync(long offset, long length, CancellationToken cancellationToken) =>
        throw new NotSupportedException("the sandbox device does not trim");

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task Forward(Task request)
    {
        try
        {
            await request.ConfigureAwait(false);
        }
        catch (IOException e) when (e is not NbdRequestException)
        {
            // The slot's server went away: the kernel would drop the device and nbd-client would exit.
            failed(e);
            throw;
        }
    }
}
