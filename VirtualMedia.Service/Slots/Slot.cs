using Microsoft.Extensions.Logging;
using VirtualMedia.Nbd;
using VirtualMedia.Service.Activation;
using VirtualMedia.Service.Configuration;
using VirtualMedia.Service.Credentials;
using VirtualMedia.Service.Ejection;
using VirtualMedia.Service.Errors;
using VirtualMedia.Service.Urls;

namespace VirtualMedia.Service.Slots;

/// <summary>
/// One slot at work: feeds its <see cref="SlotStateMachine"/> one event at a time (requests, the
/// end of background work, the one-second tick), runs the media chain in the background, and
/// publishes every change — properties first, then the Completion.
/// </summary>
internal sealed partial class Slot : IAsyncDisposable
{
    private readonly SlotStateMachine _machine;
    private readonly MediaChain _chain;
    private readonly IImageOpener _images;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _lifetime = new();
    private readonly EjectTimer _ejectTimer;
    private readonly ProgressThrottle _transferProgress;

    // Like the original service: a request that has not completed after Timeout + 5 s completes with EBUSY.
    private readonly int _completionTimeoutSeconds;

    private ISlotPublisher? _publisher;
    private ISlotEvents? _events;
    private IHostPower? _power;
    private SlotStatus _published;
    private SlotMedia? _media;
    private CancellationTokenSource? _activation;
    private Task _work = Task.CompletedTask;
    private Task _watch = Task.CompletedTask;
    private Task _ticker = Task.CompletedTask;
    private Task _checks = Task.CompletedTask;
    private string _imageForLog = string.Empty;
    private bool _stopping;
    private bool _poweredOffWhileMounting;
    private volatile TransferMethod _transferMethod;

    /// <summary>Creates the slot; it starts working with <see cref="Start"/>.</summary>
    public Slot(
        SlotConfiguration configuration,
        uint inactivityTimeoutSeconds,
        MediaChain chain,
        IImageOpener images,
        TimeProvider clock,
        ILogger logger)
    {
        Configuration = configuration;
        _chain = chain;
        _images = images;
        _clock = clock;
        _logger = logger;
        _completionTimeoutSeconds = configuration.TimeoutSeconds + 5;
        _machine = new SlotStateMachine(
            configuration.Name, inactivityTimeoutSeconds, TimeSpan.FromSeconds(_completionTimeoutSeconds), clock);
        _ejectTimer = new EjectTimer(configuration.EjectPolicy, configuration.EjectTimeoutSeconds, clock);
        _transferProgress = new ProgressThrottle(clock);
        _transferMethod = configuration.TransferMethod;
        _published = _machine.Status;
    }

    /// <summary>The slot's configuration.</summary>
    public SlotConfiguration Configuration { get; }

    /// <summary>The slot's name (<c>Slot_0</c>).</summary>
    public string Name => Configuration.Name;

    /// <summary>How the next legacy Mount brings its web image in (set over D-Bus; a Mount under way keeps its own).</summary>
    public TransferMethod TransferMethod
    {
        get => _transferMethod;
        set => _transferMethod = value;
    }

    /// <summary>The property values as last published.</summary>
    public SlotStatus Status => _published;

    /// <summary>
    /// Starts the one-second tick; changes go to <paramref name="publisher"/> from now on, what the operator did not ask
    /// for to <paramref name="events"/>; an OnPowerOff slot follows <paramref name="power"/>.
    /// </summary>
    public void Start(ISlotPublisher publisher, ISlotEvents events, IHostPower power)
    {
        _publisher = publisher;
        _events = events;
        if (Configuration.EjectPolicy == EjectPolicy.OnPowerOff)
        {
            _power = power;
            power.PoweredOff += OnPoweredOff;
        }

        _ticker = TickAsync(_lifetime.Token);
    }

    /// <summary>
    /// A legacy Mount: quick checks (D-Bus error on failure), then the chain in the background, started once
    /// <paramref name="answered"/> says the caller has its reply (so that it hears <c>true</c> before the Completion).
    /// </summary>
    public async Task MountLegacyAsync(ImageUrl url, bool readWrite, MountSecret secret, Task answered, CancellationToken cancellationToken)
    {
        var checking = await BeginMountAsync();
        try
        {
            // Stop cancels the checks too, and waits for them to end.
            using var checks = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetime.Token);
            var image = await CheckBeforeAcceptingAsync(url.ForLog, async () =>
            {
                await FollowPowerAsync(checks.Token);
                return await _images.OpenAsync(Name, url, readWrite, TransferMethod, secret, checks.Token);
            });

            var writeProtected = !(readWrite && image.Writable) || Configuration.MediaType == VirtualMedia.Gadget.ConfigFs.MediaType.Cd;
            if (readWrite && writeProtected)
            {
                _logger.LogWarning("{Slot}: {Url} can only be read: mounting it write-protected", Name, url.ForLog);
            }

            await AcceptAsync(
                url.Published, url.ForLog, writeProtected, answered, image, token => _chain.ActivateAsync(Configuration, image, writeProtected, token));
        }
        finally
        {
            checking.TrySetResult();
        }
    }

    /// <summary>A proxy Mount: bmcweb listens on the socket; attach the NBD client to it in the background (see the legacy Mount).</summary>
    public async Task MountProxyAsync(Task answered)
    {
        var checking = await BeginMountAsync();
        try
        {
            await CheckBeforeAcceptingAsync(Configuration.UnixSocket, () => Task.FromResult(true));
            await AcceptAsync(
                string.Empty, Configuration.UnixSocket, true, answered, null, token => _chain.ActivateAsync(Configuration, null, true, token));
        }
        finally
        {
            checking.TrySetResult();
        }
    }

    /// <summary>Unmount: refused unless active; the media is removed in the background.</summary>
    public Task UnmountAsync() => UnderGateAsync(async () =>
    {
        var step = _machine.BeginUnmount();
        _logger.LogInformation("{Slot}: unmounting {Url}", Name, _imageForLog);
        await PublishAndFollowAsync(step);
    });

    /// <summary>Stops the slot: cancels an activation, ejects the media, waits until all is released.</summary>
    public async Task StopAsync()
    {
        // Under the gate: a Mount past BeginMountAsync has registered its checks, a later one sees the flag.
        await UnderGateAsync(() =>
        {
            _stopping = true;
            return Task.CompletedTask;
        });
        if (_power is not null)
        {
            _power.PoweredOff -= OnPoweredOff;
        }

        await _lifetime.CancelAsync();
        await _ticker;
        await _checks;
        await _work;
        await UnderGateAsync(async () =>
        {
            var step = _machine.Eject();
            if (step.Action == SlotAction.Deactivate)
            {
                _logger.LogInformation("{Slot}: service stopping: ejecting {Url}", Name, _imageForLog);
                await PublishAndFollowAsync(step);
            }
        });

        await _work;
        await _watch;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _lifetime.Dispose();
        _activation?.Dispose();
        _gate.Dispose();
    }

    /// <summary>Takes the slot for a Mount's checks; the returned source is set once they ended, accepted or not.</summary>
    private async Task<TaskCompletionSource> BeginMountAsync()
    {
        try
        {
            var checking = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await UnderGateAsync(async () =>
            {
                ThrowIfStopping();
                _machine.BeginMount();
                _checks = checking.Task;
                await PublishAsync(SlotStep.Nothing);
            });
            return checking;
        }
        catch (MediaException e)
        {
            _logger.LogWarning("{Slot}: mount refused: {Reason}", Name, e.Message);
            throw;
        }
    }

    /// <summary>
    /// Mount's early checks, answered as a D-Bus error before <c>true</c>: the kernel side first (the slot's NBD
    /// device free, a UDC free), then <paramref name="check"/>; a failure returns the slot to Ready.
    /// </summary>
    private async Task<T> CheckBeforeAcceptingAsync<T>(string urlForLog, Func<Task<T>> check)
    {
        try
        {
            _chain.EnsureAvailable(Configuration);
            return await check();
        }
        catch (Exception e)
        {
            var error = e is OperationCanceledException && _lifetime.IsCancellationRequested ? Stopping() : Failures.AsMediaException(e);
            await RejectAsync(urlForLog, error);
            throw error;
        }
    }

    private async Task RejectAsync(string urlForLog, MediaException reason)
    {
        _logger.LogError("{Slot}: mount of {Url} refused: {Reason}", Name, urlForLog, reason.Message);
        await UnderGateAsync(async () =>
        {
            _machine.RejectMount();
            await PublishAsync(SlotStep.Nothing);
        });
    }

    /// <summary>Accepts the checked Mount and starts its activation; a Mount whose checks outlived the start of Stop is
    /// refused instead, and what it opened is closed.</summary>
    private Task AcceptAsync(
        string imageUrl,
        string urlForLog,
        bool writeProtected,
        Task answered,
        PreparedImage? opened,
        Func<CancellationToken, Task<SlotMedia>> activate) =>
        UnderGateAsync(async () =>
        {
            if (_stopping)
            {
                _machine.RejectMount();
                await PublishAsync(SlotStep.Nothing);
                if (opened is not null)
                {
                    await opened.DisposeAsync();
                }

                ThrowIfStopping();
            }

            _imageForLog = urlForLog;
            _poweredOffWhileMounting = false;
            _machine.AcceptMount(imageUrl, writeProtected);
            _logger.LogInformation(
                "{Slot}: mounting {Url} ({Access})", Name, urlForLog, writeProtected ? "read-only" : "read-write");
            await PublishAsync(SlotStep.Nothing);
            _activation?.Dispose();
            _activation = CancellationTokenSource.CreateLinkedTokenSource(_lifetime.Token);
            _work = ActivateAsync(activate, answered, opened, _activation.Token);
        });

    private void ThrowIfStopping()
    {
        if (_stopping)
        {
            throw Stopping();
        }
    }

    private MediaException Stopping() => new(Errno.EBUSY, $"{Name}: the service is stopping");

    private async Task ActivateAsync(
        Func<CancellationToken, Task<SlotMedia>> activate, Task answered, PreparedImage? opened, CancellationToken cancellationToken)
    {
        await Task.Yield();
        SlotMedia? media = null;
        var errno = Errno.None;
        var started = false;
        try
        {
            // Whatever the chain does, its Completion must come after the caller's reply: never before it is sent.
            await answered.WaitAsync(cancellationToken);
            started = true;
            media = await activate(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            errno = Errno.ECANCELED;
        }
        catch (Exception e)
        {
            errno = Failures.ErrnoOf(e);
            _logger.LogError("{Slot}: mount of {Url} failed: {Reason}", Name, _imageForLog, e.Message);
            Report(SlotEventKind.MountFailed, errno);
        }

        if (!started && opened is not null)
        {
            // Ended before the chain took the image over (which closes it on failure): close it here.
            await opened.DisposeAsync();
        }

        // The end of an activation is recorded even when it was cancelled: no token here.
        await UnderGateAsync(
            async () =>
            {
                _media = media;
                var step = _machine.ActivationEnded(errno);
                if (_machine.State == SlotState.Active && media is not null)
                {
                    _logger.LogInformation("{Slot}: media inserted: {Url}", Name, _imageForLog);
                    _ejectTimer.Start();
                    _watch = WatchClientAsync(media);
                }

                await PublishAndFollowAsync(step);
                if (_poweredOffWhileMounting)
                {
                    await EjectPoweredOffAsync();
                }
            },
            CancellationToken.None);
    }

    /// <summary>
    /// Ejects the media when it ends on its own: its NBD client exits, or its image server stayed unreachable past the
    /// outage budget (then the slot owes a Completion with the errno). Ends with the media (Stop awaits it).
    /// </summary>
    private async Task WatchClientAsync(SlotMedia media)
    {
        var exited = media.ClientExited;
        if (media.SourceFailed is { } sourceFailed && await Task.WhenAny(exited, sourceFailed) == sourceFailed)
        {
            var failure = await sourceFailed;
            await EjectOnItsOwnAsync(media, () =>
            {
                _logger.LogError("{Slot}: {Reason}: ejecting {Url}", Name, failure.Message, _imageForLog);
                Report(SlotEventKind.SourceFailed, failure.Errno, failure.Message);
                return _machine.SourceFailed(failure.Errno);
            });
            return;
        }

        var exitCode = await exited;
        await EjectOnItsOwnAsync(media, () =>
        {
            _logger.LogError("{Slot}: the NBD client ended with {Code}: ejecting {Url}", Name, exitCode, _imageForLog);
            Report(SlotEventKind.ClientExited, Errno.EIO, $"exit code {exitCode}");
            return _machine.ProcessExited(exitCode);
        });
    }

    /// <summary>Feeds the machine the media's own end, unless that media is already gone (unmounted, stopped).</summary>
    private Task EjectOnItsOwnAsync(SlotMedia media, Func<SlotStep> ended) => UnderGateAsync(async () =>
    {
        if (ReferenceEquals(_media, media))
        {
            await PublishAndFollowAsync(ended());
        }
    });

    /// <summary>Starts removing the media; called with the gate held, right after the machine said Deactivate.</summary>
    private void StartDeactivating()
    {
        var media = _media;
        _media = null;
        _ejectTimer.Stop();
        _work = DeactivateAsync(media);
    }

    private async Task DeactivateAsync(SlotMedia? media)
    {
        await Task.Yield();
        var errno = Errno.None;
        if (media is not null)
        {
            await media.DisposeAsync();
            errno = media.TeardownErrno;
            MemoryTrim.Soon();
        }

        await UnderGateAsync(async () =>
        {
            var step = _machine.Deactivated(errno, media?.ClientExitCode);
            _logger.LogInformation("{Slot}: media removed: {Url}", Name, _imageForLog);
            if (errno != Errno.None)
            {
                Report(SlotEventKind.RemovalFailed, errno);
            }

            await PublishAsync(step);
        });
    }

    private async Task TickAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), _clock);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                await UnderGateAsync(TickOnceAsync, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            // The slot is stopping.
        }
    }

    private async Task TickOnceAsync()
    {
        var statistics = _media?.ReadStatistics() ?? default;
        var step = _machine.Tick(statistics.ReadIO, statistics.WriteIO);
        switch (step.Action)
        {
            case SlotAction.CancelActivation:
                _logger.LogError(
                    "{Slot}: mount of {Url} did not finish within {Seconds} s: giving up (EBUSY)",
                    Name, _imageForLog, _completionTimeoutSeconds);
                Report(SlotEventKind.MountTimedOut, Errno.EBUSY, $"{_completionTimeoutSeconds} s");
                await PublishAsync(step);
                await _activation!.CancelAsync();
                return;
            case SlotAction.Deactivate:
                _logger.LogWarning("{Slot}: no I/O for the inactivity timeout: ejecting {Url}", Name, _imageForLog);
                Report(SlotEventKind.InactivityEject, 0);
                await PublishAndFollowAsync(step);
                return;
            case SlotAction.None when _ejectTimer.Expired:
                _logger.LogInformation(
                    "{Slot}: {Seconds} s since it was inserted (EjectPolicy Timed): ejecting {Url}", Name, Configuration.EjectTimeoutSeconds, _imageForLog);
                Report(SlotEventKind.TimedEject, 0, $"EjectTimeout {Configuration.EjectTimeoutSeconds} s");
                await PublishAndFollowAsync(_machine.Eject());
                return;
            default:
                if (step.Completion is not null)
                {
                    _logger.LogError("{Slot}: unmount did not finish within {Seconds} s (EBUSY)", Name, _completionTimeoutSeconds);
                    Report(SlotEventKind.RemovalFailed, Errno.EBUSY, $"{_completionTimeoutSeconds} s");
                }

                await PublishAsync(step);
                return;
        }
    }

    /// <summary>Runs <paramref name="step"/> holding the gate: the machine takes one event at a time.</summary>
    private async Task UnderGateAsync(Func<Task> step, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await step();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Publishes <paramref name="step"/>, then starts removing the media when it says so; the gate is held.</summary>
    private async Task PublishAndFollowAsync(SlotStep step)
    {
        await PublishAsync(step);
        if (step.Action == SlotAction.Deactivate)
        {
            StartDeactivating();
        }
    }

    /// <summary>Publishes what changed since the last time, then the step's Completion; the gate is held.</summary>
    private async Task PublishAsync(SlotStep step)
    {
        var before = _published;
        var after = _machine.Status with
        {
            RemainingEjectTimeout = _machine.State == SlotState.Active ? _ejectTimer.Remaining : (ushort)0,
            Transfer = _transferProgress.Next(_media?.Transfer ?? default),
        };
        _published = after;
        if (_publisher is null)
        {
            return;
        }

        if (before != after)
        {
            await _publisher.PropertiesChangedAsync(before, after);
        }

        if (step.Completion is { } result)
        {
            await _publisher.CompletionAsync(result);
        }
    }
}
