namespace VirtualMedia.Gadget.BlockDevice;

/// <summary>Starts the NBD client that attaches a block device: nbd-client on a kernel, our stand-in in the sandbox.</summary>
public interface INbdClientLauncher
{
    /// <summary>Starts the client; <paramref name="output"/> receives each line it prints.</summary>
    IRunningNbdClient Start(NbdClientArguments arguments, Action<string> output);

    /// <summary>Asks the kernel to drop whatever connection <paramref name="device"/> (<c>/dev/nbd0</c>) has (<c>nbd-client -d</c>).</summary>
    Task DisconnectAsync(string device, CancellationToken cancellationToken);
}

/// <summary>A started NBD client.</summary>
public interface IRunningNbdClient : IDisposable
{
    /// <summary>Completes with the client's exit code when it ends.</summary>
    Task<int> Exited { get; }

    /// <summary>Asks the kernel to drop the connection (<c>nbd-client -d</c>); the client then exits.</summary>
    Task DisconnectAsync(CancellationToken cancellationToken);

    /// <summary>Ends the client at once (after the grace period of a disconnect ran out).</summary>
    void Kill();
}
