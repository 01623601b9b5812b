using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using VirtualMedia.DBus;
using VirtualMedia.Service.Credentials;
using VirtualMedia.Service.Errors;
using VirtualMedia.Service.Slots;
using VirtualMedia.Service.Urls;

namespace VirtualMedia.Service.Bus;

/// <summary>xyz.openbmc_project.VirtualMedia.Legacy: Mount takes the image URL, read-write, and a pipe with the secret.</summary>
internal sealed class LegacyModeInterface : ModeInterface
{
    private static readonly TimeSpan SecretTimeout = TimeSpan.FromSeconds(5);
    private readonly ILogger _logger;

    /// <summary>Serves the legacy Mount for <paramref name="slot"/>, logging why a mount is refused.</summary>
    public LegacyModeInterface(Slot slot, ILogger logger)
        : base(slot) => _logger = logger;

    /// <inheritdoc />
    protected override DBusInterface AddMount(DBusInterface modeInterface) => modeInterface
        // bmcweb since Feb 2025 sends "sbh"; older ones "sbv" (v holding i -1 or h). Introspection shows the first.
        .AddMethod("Mount", "sbh", "b", Answering(MountWithFdAsync), ["ImageURL", "ReadWrite", "FileDescriptor"], ["Result"])
        .AddMethod("Mount", "sbv", "b", Answering(MountWithVariantAsync), ["ImageURL", "ReadWrite", "FileDescriptor"], ["Result"]);

    private async ValueTask<MessageBody?> MountWithFdAsync(MethodCall call, CancellationToken cancellationToken)
    {
        var reader = call.Reader;
        var url = reader.ReadString();
        var readWrite = reader.ReadBool();
        using var pipe = reader.ReadUnixFd();
        return await MountAsync(call, url, readWrite, pipe, cancellationToken);
    }

    private async ValueTask<MessageBody?> MountWithVariantAsync(MethodCall call, CancellationToken cancellationToken)
    {
        var reader = call.Reader;
        var url = reader.ReadString();
        var readWrite = reader.ReadBool();
        switch (reader.ReadVariantSignature())
        {
            case "h":
                using (var pipe = reader.ReadUnixFd())
                {
                    return await MountAsync(call, url, readWrite, pipe, cancellationToken);
                }

            case "i":
                if (reader.ReadInt32() != -1)
                {
                    throw new DBusErrnoException(Errno.EINVAL, "the variant must hold a file descriptor or the integer -1");
                }

                return await MountAsync(call, url, readWrite, null, cancellationToken);
            case var other:
                throw new DBusErrnoException(
                    Errno.EINVAL, $"the variant must hold a file descriptor (h) or -1 (i), not \"{other}\"");
        }
    }

    private async ValueTask<MessageBody?> MountAsync(
        MethodCall call, string url, bool readWrite, SafeFileHandle? pipe, CancellationToken cancellationToken)
    {
        MountSecret secret;
        ImageUrl image;
        try
        {
            secret = pipe is null ? MountSecret.None : await MountSecret.ReadAsync(pipe, SecretTimeout, cancellationToken);
        }
        catch (MediaException e)
        {
            _logger.LogError("{Slot}: mount refused: {Reason}", Slot.Name, e.Message);
            throw;
        }

        using (secret)
        {
            try
            {
                image = ImageUrl.Parse(url);
            }
            catch (MediaException e)
            {
                _logger.LogError("{Slot}: mount refused: {Reason}", Slot.Name, e.Message);
                throw;
            }

            await Slot.MountLegacyAsync(image, readWrite, secret, call.Answered, cancellationToken);
        }

        return True();
    }
}
