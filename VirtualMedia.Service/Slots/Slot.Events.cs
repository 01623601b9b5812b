using Microsoft.Extensions.Logging;
using VirtualMedia.Nbd;
using VirtualMedia.Service.Ejection;
using VirtualMedia.Service.Errors;

namespace VirtualMedia.Service.Slots;

/// <content>The eject policy's power side and the events the operator did not ask for.</content>
internal sealed partial class Slot
{
    /// <summary>
    /// Reports an event the operator did not ask for (an ejection by policy, inactivity or failure, a failure after
    /// Mount answered true) to phosphor-logging; the journal line is the caller's. Returns at once.
    /// </summary>
    private void Report(SlotEventKind kind, Errno errno, string? detail = null) =>
        _events?.Report(new SlotEvent(Name, _imageForLog, kind, errno, detail));

    /// <summary>An OnPowerOff Mount reads the chassis power once: no chassis state service, no Mount (ENOTSUP).</summary>
    private async Task FollowPowerAsync(CancellationToken cancellationToken)
    {
        if (Configuration.EjectPolicy != EjectPolicy.OnPowerOff)
        {
            return;
        }

        if (_power is null)
        {
            throw new MediaException(Errno.ENOTSUP, $"{Name}: EjectPolicy OnPowerOff needs the host's power state, which is not followed yet");
        }

        var state = await _power.ReadAsync(cancellationToken);
        _logger.LogInformation("{Slot}: the host's power is {State}; the media is ejected when it turns off (EjectPolicy OnPowerOff)", Name, state);
    }

    private void OnPoweredOff(object? sender, EventArgs e) => _ = EjectOnPowerOffAsync();

    /// <summary>Ejects the media because the host powered off; called with the gate held. Media still being mounted
    /// is ejected as soon as it is in: the host it was meant for has gone off meanwhile.</summary>
    private async Task EjectPoweredOffAsync()
    {
        _poweredOffWhileMounting = _machine.State == SlotState.Activating;
        var step = _machine.Eject();
        if (step.Action != SlotAction.Deactivate)
        {
            return;
        }

        _logger.LogInformation("{Slot}: the host powered off (EjectPolicy OnPowerOff): ejecting {Url}", Name, _imageForLog);
        Report(SlotEventKind.PowerOffEject, 0);
        await PublishAndFollowAsync(step);
    }

    private async Task EjectOnPowerOffAsync()
    {
        // Raised on the bus connection's reader: leave it before waiting for the gate and publishing.
        await Task.Yield();
        try
        {
            await UnderGateAsync(EjectPoweredOffAsync, _lifetime.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            // The slot is stopping: it ejects its media itself.
        }
    }
}
