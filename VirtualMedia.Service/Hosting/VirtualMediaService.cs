using Microsoft.Extensions.Logging;
using VirtualMedia.Gadget.Kernel;
using VirtualMedia.Gadget.Sandbox;
using VirtualMedia.Service.Activation;
using VirtualMedia.Service.Bus;
using VirtualMedia.Service.Configuration;
using VirtualMedia.Service.ImageSources.Upload;
using VirtualMedia.Service.Shares;
using VirtualMedia.Service.Slots;

namespace VirtualMedia.Service.Hosting;

/// <summary>
/// The service's life: at start, clean what a previous run left, build the slots, publish them on
/// D-Bus and own the name (the runner then tells systemd READY); at stop, eject every slot and leave the bus.
/// </summary>
internal sealed class VirtualMediaService : IAsyncDisposable
{
    private readonly ServiceConfiguration _configuration;
    private readonly Action _requestStop;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly TimeProvider _clock;
    private readonly IShareMounter _shares;
    private readonly List<Slot> _slots = [];
    private VirtualMediaBus? _bus;

    /// <summary>Created by <see cref="ServiceRunner"/>, which stops it when asked to or when <paramref name="requestStop"/> is called (the bus is lost).</summary>
    public VirtualMediaService(
        ServiceConfiguration configuration,
        Action requestStop,
        ILoggerFactory loggers,
        TimeProvider clock,
        IShareMounter shares)
    {
        _configuration = configuration;
        _requestStop = requestStop;
        _loggers = loggers;
        _logger = loggers.CreateLogger("VirtualMedia");
        _clock = clock;
        _shares = shares;
    }

    /// <summary>Builds the slots, publishes them and owns the bus name.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var kernel = _configuration.Sandbox is { } sandbox ? SandboxKernel.Create(sandbox) : KernelSide.Real(KernelPaths.Host);
        if (_configuration.Sandbox is not null)
        {
            _logger.LogWarning("Sandbox mode: the kernel side is simulated under {Sandbox}", _configuration.Sandbox);
        }

        if (!_configuration.VerifyCertificates)
        {
            _logger.LogWarning("TLS certificates of image servers are NOT verified (VerifyCertificates is false)");
        }

        var chain = new MediaChain(kernel, _loggers.CreateLogger("VirtualMedia.Gadget"), _configuration.NbdBufferBytes);
        await chain.RemoveStaleAsync(_configuration.Slots, cancellationToken);
        RemoveStaleCopies();
        var images = new ImageOpener(_configuration, new ImageSourceFactory(_loggers.CreateLogger<ImageSourceFactory>()), _shares, _logger);
        foreach (var slotConfiguration in _configuration.Slots)
        {
            _slots.Add(new Slot(slotConfiguration, _configuration.InactivityTimeoutSeconds, chain, images, _clock, _logger));
        }

        // This service owns the slots' lives: it starts them once their objects are on the bus, and stops them (StopAsync).
        _bus = await VirtualMediaBus.ConnectAsync(_slots, _logger, cancellationToken);
        foreach (var slot in _slots)
        {
            slot.Start(_bus.PublisherOf(slot), _bus.Events, _bus.Power);
        }

        await _bus.OwnNameAsync(cancellationToken);
        _ = WatchBusAsync(_bus);
        MemoryTrim.Soon();
        _logger.LogInformation(
            "Serving {Count} slots ({Slots}) as {Name}", _slots.Count, string.Join(", ", _slots.Select(s => s.Name)), VirtualMediaNames.Service);
    }

    /// <summary>Ejects every slot and leaves the bus.</summary>
    public async Task StopAsync()
    {
        _logger.LogInformation("Stopping: ejecting every slot");
        await Task.WhenAll(_slots.Select(slot => slot.StopAsync()));
        if (_bus is not null)
        {
            await _bus.DisposeAsync();
            _bus = null;
        }

        _logger.LogInformation("Stopped");
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var slot in _slots)
        {
            await slot.DisposeAsync();
        }

        if (_bus is not null)
        {
            await _bus.DisposeAsync();
        }
    }

    /// <summary>Deletes the Upload copies a crash or power loss left half-written: no slot has media at start.</summary>
    private void RemoveStaleCopies()
    {
        try
        {
            foreach (var copy in UploadFile.RemoveStale(_configuration.ImageDirectory))
            {
                _logger.LogWarning("Removed the partial image copy {File} a previous run left behind", copy);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _logger.LogError("Could not remove the image copies a previous run left in {Directory}: {Reason}", _configuration.ImageDirectory, e.Message);
        }
    }

    private async Task WatchBusAsync(VirtualMediaBus bus)
    {
        try
        {
            await bus.Completion;
        }
        catch (Exception e)
        {
            if (ReferenceEquals(_bus, bus))
            {
                _logger.LogError("Lost the D-Bus connection: {Reason}; stopping", e.Message);
                Environment.ExitCode = 1;
                _requestStop();
            }
        }
    }
}
