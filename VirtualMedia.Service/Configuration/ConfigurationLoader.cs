using System.Text.Json;
using VirtualMedia.Gadget.ConfigFs;
using VirtualMedia.Service.Ejection;

namespace VirtualMedia.Service.Configuration;

/// <summary>
/// Reads the original service's configuration file, our optional keys and the compact form,
/// and refuses anything it cannot use with a message naming the file, the slot and the field.
/// </summary>
internal static class ConfigurationLoader
{
    private static readonly JsonDocumentOptions ParseOptions = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
    };

    private static readonly string[] TopLevelKeys =
    [
        "InactivityTimeout", "MountPoints", "AllowHttp", "VerifyCertificates", "CaDirectory",
        "ImageDirectory", "CacheMiB", "NbdBufferMiB", "Sandbox", "ProxyMountPoints", "LegacyMountPoints",
        "SourceOutageSeconds", "UploadReserveMiB",
    ];

    // JSON may escape half a UTF-16 surrogate pair ("\ud800"), which is no character: .NET cannot make a string of it.
    private const string NotUnicode = "holds text that is not valid Unicode (a lone UTF-16 surrogate escape such as \\ud800)";

    private static readonly string[] SlotKeys =
        ["EndpointId", "Mode", "NBDDevice", "UnixSocket", "Timeout", "BlockSize", "MediaType", "EjectPolicy", "EjectTimeout", "TransferMethod"];

    /// <summary>Reads and validates <paramref name="file"/>; unknown keys are reported in <paramref name="warnings"/>.</summary>
    public static ServiceConfiguration Load(string file, out IReadOnlyList<string> warnings)
    {
        string text;
        try
        {
            text = File.ReadAllText(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException(file, null, null, $"cannot be read: {e.Message}");
        }

        return Parse(file, text, out warnings);
    }

    /// <summary>Validates configuration <paramref name="text"/> that came from <paramref name="file"/>.</summary>
    public static ServiceConfiguration Parse(string file, string text, out IReadOnlyList<string> warnings)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text, ParseOptions);
        }
        catch (JsonException e)
        {
            var position = e.LineNumber is { } line ? $" at line {line + 1}, column {e.BytePositionInLine + 1}" : string.Empty;
            throw new ConfigurationException(file, null, null, $"is not valid JSON{position}");
        }

        using (document)
        {
            var reader = new Reader(file);
            try
            {
                var configuration = reader.ReadRoot(document.RootElement);
                warnings = reader.Warnings;
                return configuration;
            }
            catch (InvalidOperationException)
            {
                // A key (rather than a string value) holding an escape that is no character at all.
                throw new ConfigurationException(file, null, null, NotUnicode);
            }
        }
    }

    private sealed class Reader(string file)
    {
        public List<string> Warnings { get; } = [];

        public ServiceConfiguration ReadRoot(JsonElement root)
        {
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new ConfigurationException(file, null, null, "the top level must be a JSON object");
            }

            WarnUnknown(root, TopLevelKeys, null);
            var sandbox = OptionalDirectory(root, "Sandbox", mustExist: false);
            var slots = ReadSlots(root, sandbox);
            return new ServiceConfiguration
            {
                InactivityTimeoutSeconds = (uint)OptionalInteger(
                    root, null, "InactivityTimeout", 0, int.MaxValue, ConfigurationDefaults.InactivityTimeoutSeconds),
                AllowHttp = OptionalBoolean(root, "AllowHttp", false),
                VerifyCertificates = OptionalBoolean(root, "VerifyCertificates", true),
                CaDirectory = OptionalDirectory(root, "CaDirectory", mustExist: true),
                ImageDirectory = OptionalDirectory(root, "ImageDirectory", mustExist: false) ?? ConfigurationDefaults.ImageDirectory,
                CacheMiB = (int)OptionalInteger(root, null, "CacheMiB", 1, 1024, ConfigurationDefaults.CacheMiB),
                NbdBufferMiB = root.TryGetProperty("NbdBufferMiB", out _)
                    ? (int)OptionalInteger(root, null, "NbdBufferMiB", ConfigurationDefaults.MinimumNbdBufferMiB, 4096, 0)
                    : null,
                SourceOutageSeconds = (int)OptionalInteger(
                    root, null, "SourceOutageSeconds", 1, 3600, ConfigurationDefaults.SourceOutageSeconds),
                UploadReserveMiB = (int)OptionalInteger(
                    root, null, "UploadReserveMiB", 0, 1024 * 1024, ConfigurationDefaults.UploadReserveMiB),
                Sandbox = sandbox,
                Slots = slots,
            };
        }

        private List<SlotConfiguration> ReadSlots(JsonElement root, string? sandbox)
        {
            var hasCompact = root.TryGetProperty("ProxyMountPoints", out _) || root.TryGetProperty("LegacyMountPoints", out _);
            List<SlotConfiguration> slots;
            if (root.TryGetProperty("MountPoints", out var mountPoints))
            {
                if (hasCompact)
                {
                    throw new ConfigurationException(
                        file, null, "MountPoints", "give either MountPoints or ProxyMountPoints/LegacyMountPoints, not both");
                }

                slots = ReadMountPoints(mountPoints);
            }
            else if (hasCompact)
            {
                var proxies = (int)OptionalInteger(root, null, "ProxyMountPoints", 0, 64, 0);
                var legacies = (int)OptionalInteger(root, null, "LegacyMountPoints", 0, 64, 0);
                var socketDirectory = sandbox is null
                    ? ConfigurationDefaults.SocketDirectory
                    : Path.Combine(sandbox, ConfigurationDefaults.SocketDirectory.TrimStart('/'));
                slots = CompactSlots.Expand(proxies, legacies, socketDirectory).ToList();
            }
            else
            {
                throw new ConfigurationException(file, null, "MountPoints", "is missing (or give ProxyMountPoints/LegacyMountPoints)");
            }

            if (slots.Count == 0)
            {
                throw new ConfigurationException(file, null, "MountPoints", "defines no slot");
            }

            RequireUnique(slots, s => s.NbdDevice, "NBDDevice");
            RequireUnique(slots, s => s.UnixSocket, "UnixSocket");
            RequireUnique(slots.Where(s => s.Mode == SlotMode.Proxy).ToList(), s => s.EndpointId, "EndpointId");
            return slots;
        }

        private List<SlotConfiguration> ReadMountPoints(JsonElement mountPoints)
        {
            if (mountPoints.ValueKind != JsonValueKind.Object)
            {
                throw new ConfigurationException(file, null, "MountPoints", "must be an object of slots");
            }

            var slots = new List<SlotConfiguration>();
            foreach (var entry in mountPoints.EnumerateObject())
            {
                slots.Add(ReadSlot(entry.Name, entry.Value));
            }

            return slots;
        }

        private SlotConfiguration ReadSlot(string name, JsonElement slot)
        {
            if (!IsObjectPathElement(name))
            {
                throw new ConfigurationException(
                    file, name, null, "a slot name may hold only letters, digits and '_' (it becomes a D-Bus object path element)");
            }

            if (slot.ValueKind != JsonValueKind.Object)
            {
                throw new ConfigurationException(file, name, null, "must be an object");
            }

            WarnUnknown(slot, SlotKeys, name);
            var mode = (SlotMode)RequiredInteger(slot, name, "Mode", 0, 1);
            var endpoint = OptionalString(slot, name, "EndpointId") ?? string.Empty;
            if (mode == SlotMode.Proxy && !endpoint.StartsWith('/'))
            {
                throw new ConfigurationException(file, name, "EndpointId", "a proxy slot needs bmcweb's endpoint, such as \"/nbd/0\"");
            }

            var device = OptionalString(slot, name, "NBDDevice")
                ?? throw new ConfigurationException(file, name, "NBDDevice", "is missing (for example \"nbd0\")");
            if (!IsNbdDevice(device))
            {
                throw new ConfigurationException(file, name, "NBDDevice", $"\"{ConfigurationException.Excerpt(device)}\" is not an NBD device name such as \"nbd0\"");
            }

            var socket = OptionalString(slot, name, "UnixSocket")
                ?? throw new ConfigurationException(file, name, "UnixSocket", "is missing");
            if (!Path.IsPathFullyQualified(socket) || socket.EndsWith('/'))
            {
                throw new ConfigurationException(file, name, "UnixSocket", $"\"{ConfigurationException.Excerpt(socket)}\" must be an absolute file path");
            }

            var defaultTimeout = mode == SlotMode.Proxy
                ? ConfigurationDefaults.ProxyTimeoutSeconds
                : ConfigurationDefaults.LegacyTimeoutSeconds;
            var timeout = (ushort)OptionalInteger(slot, name, "Timeout", 1, ushort.MaxValue, defaultTimeout);
            var blockSize = (ushort)OptionalInteger(slot, name, "BlockSize", 512, 4096, ConfigurationDefaults.BlockSize);
            if (!ushort.IsPow2(blockSize))
            {
                throw new ConfigurationException(file, name, "BlockSize", $"{blockSize} is not one of 512, 1024, 2048, 4096");
            }

            var mediaType = OptionalString(slot, name, "MediaType") switch
            {
                null or "USBStick" => MediaType.UsbStick,
                "CD" => MediaType.Cd,
                var other => throw new ConfigurationException(file, name, "MediaType", $"\"{ConfigurationException.Excerpt(other)}\" is neither \"USBStick\" nor \"CD\""),
            };
            var (policy, ejectTimeout) = ReadEjectPolicy(slot, name, mode);
            return new SlotConfiguration(
                name, mode, endpoint, device, socket, timeout, blockSize, mediaType, policy, ejectTimeout, ReadTransferMethod(slot, name, mode));
        }

        /// <summary><c>TransferMethod</c>: a legacy slot's choice; a proxy slot's image is bmcweb's stream by nature.</summary>
        private TransferMethod ReadTransferMethod(JsonElement slot, string name, SlotMode mode) =>
            (mode, OptionalString(slot, name, "TransferMethod")) switch
            {
                (_, null or "Stream") => TransferMethod.Stream,
                (SlotMode.Proxy, _) => throw new ConfigurationException(
                    file, name, "TransferMethod", "a proxy slot's image is relayed by bmcweb: only \"Stream\" applies"),
                (_, "Upload") => TransferMethod.Upload,
                (_, var other) => throw new ConfigurationException(
                    file, name, "TransferMethod", $"\"{ConfigurationException.Excerpt(other)}\" is neither \"Stream\" nor \"Upload\""),
            };

        /// <summary><c>EjectPolicy</c> and <c>EjectTimeout</c>: a legacy slot's choice; a proxy slot is Session by nature.</summary>
        private (EjectPolicy Policy, ushort TimeoutSeconds) ReadEjectPolicy(JsonElement slot, string name, SlotMode mode)
        {
            var text = OptionalString(slot, name, "EjectPolicy");
            var policy = (mode, text) switch
            {
                (SlotMode.Proxy, null or "Session") => EjectPolicy.Session,
                (SlotMode.Proxy, _) => throw new ConfigurationException(
                    file, name, "EjectPolicy", "a proxy slot's media ends with bmcweb's session: only \"Session\" applies"),
                (_, null or "Persistent") => EjectPolicy.Persistent,
                (_, "Timed") => EjectPolicy.Timed,
                (_, "OnPowerOff") => EjectPolicy.OnPowerOff,
                _ => throw new ConfigurationException(
                    file, name, "EjectPolicy", $"\"{ConfigurationException.Excerpt(text)}\" is not one of \"Persistent\", \"Timed\", \"OnPowerOff\""),
            };
            var hasTimeout = slot.TryGetProperty("EjectTimeout", out _);
            if (policy == EjectPolicy.Timed && !hasTimeout)
            {
                throw new ConfigurationException(file, name, "EjectTimeout", "is missing (seconds from insertion to ejection, for EjectPolicy \"Timed\")");
            }

            if (policy != EjectPolicy.Timed && hasTimeout)
            {
                throw new ConfigurationException(file, name, "EjectTimeout", "applies only to EjectPolicy \"Timed\"");
            }

            return (policy, (ushort)OptionalInteger(slot, name, "EjectTimeout", 1, ushort.MaxValue, 0));
        }

        private void RequireUnique(List<SlotConfiguration> slots, Func<SlotConfiguration, string> key, string field)
        {
            var seen = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var slot in slots)
            {
                if (!seen.TryAdd(key(slot), slot.Name))
                {
                    throw new ConfigurationException(
                        file, slot.Name, field, $"\"{ConfigurationException.Excerpt(key(slot))}\" is already used by slot {ConfigurationException.Excerpt(seen[key(slot)])}");
                }
            }
        }

        private void WarnUnknown(JsonElement element, string[] known, string? slot)
        {
            foreach (var property in element.EnumerateObject())
            {
                if (!known.Contains(property.Name, StringComparer.Ordinal))
                {
                    var where = slot is null ? file : $"{file}: slot {ConfigurationException.Excerpt(slot)}";
                    Warnings.Add($"{where}: field {ConfigurationException.Excerpt(property.Name)}: unknown, ignored");
                }
            }
        }

        private long RequiredInteger(JsonElement parent, string? slot, string field, long min, long max) =>
            parent.TryGetProperty(field, out _)
                ? OptionalInteger(parent, slot, field, min, max, min)
                : throw new ConfigurationException(file, slot, field, "is missing");

        private long OptionalInteger(JsonElement parent, string? slot, string field, long min, long max, long fallback)
        {
            if (!parent.TryGetProperty(field, out var value))
            {
                return fallback;
            }

            if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var number) || number < min || number > max)
            {
                throw new ConfigurationException(file, slot, field, $"must be an integer from {min} to {max}, not {ConfigurationException.Excerpt(value.GetRawText())}");
            }

            return number;
        }

        private bool OptionalBoolean(JsonElement parent, string field, bool fallback)
        {
            if (!parent.TryGetProperty(field, out var value))
            {
                return fallback;
            }

            return value.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw new ConfigurationException(file, null, field, $"must be true or false, not {ConfigurationException.Excerpt(value.GetRawText())}"),
            };
        }

        private string? OptionalString(JsonElement parent, string? slot, string field)
        {
            if (!parent.TryGetProperty(field, out var value))
            {
                return null;
            }

            if (value.ValueKind != JsonValueKind.String)
            {
                throw new ConfigurationException(file, slot, field, $"must be a string, not {ConfigurationException.Excerpt(value.GetRawText())}");
            }

            try
            {
                return value.GetString();
            }
            catch (InvalidOperationException)
            {
                throw new ConfigurationException(file, slot, field, NotUnicode);
            }
        }

        private string? OptionalDirectory(JsonElement parent, string field, bool mustExist)
        {
            var value = OptionalString(parent, null, field);
            if (value is null)
            {
                return null;
            }

            if (value.Length == 0)
            {
                throw new ConfigurationException(file, null, field, "must not be empty");
            }

            // Relative directories are relative to the file, so a sample configuration can travel with its sandbox.
            var full = Path.GetFullPath(value, Path.GetDirectoryName(Path.GetFullPath(file)) ?? "/");
            if (mustExist && !Directory.Exists(full))
            {
                throw new ConfigurationException(file, null, field, $"directory \"{ConfigurationException.Excerpt(full)}\" does not exist");
            }

            return full;
        }

        private static bool IsObjectPathElement(string name) =>
            name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

        private static bool IsNbdDevice(string device) =>
            device.Length > 3 && device.StartsWith("nbd", StringComparison.Ordinal) && device[3..].All(char.IsAsciiDigit);
    }
}
