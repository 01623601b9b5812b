using VirtualMedia.Gadget.ConfigFs;
using VirtualMedia.Service.Configuration;
using VirtualMedia.Service.Ejection;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.Service.Configuration;

public sealed class ConfigurationLoaderTests
{
    /// <summary>The original service's default file, byte for byte in content.</summary>
    internal const string OriginalDefaultFile = """
        {
          "InactivityTimeout": 1800,
          "MountPoints": {
            "Slot_0": { "EndpointId": "/nbd/0", "Mode": 0, "NBDDevice": "nbd0",
                        "UnixSocket": "/run/virtual-media/nbd0.sock", "Timeout": 30, "BlockSize": 512 },
            "Slot_1": { "EndpointId": "/nbd/1", "Mode": 0, "NBDDevice": "nbd1",
                        "UnixSocket": "/run/virtual-media/nbd1.sock", "Timeout": 30, "BlockSize": 512 },
            "Slot_2": { "EndpointId": "", "Mode": 1, "NBDDevice": "nbd2",
                        "UnixSocket": "/run/virtual-media/nbd2.sock", "Timeout": 90, "BlockSize": 512 },
            "Slot_3": { "EndpointId": "", "Mode": 1, "NBDDevice": "nbd3",
                        "UnixSocket": "/run/virtual-media/nbd3.sock", "Timeout": 90, "BlockSize": 512 }
          }
        }
        """;

    private const string File = "/etc/virtual-media.json";

    [Test]
    public void Original_file_is_read_unchanged_with_our_defaults()
    {
        var configuration = ConfigurationLoader.Parse(File, OriginalDefaultFile, out var warnings);

        warnings.Should().BeEmpty();
        configuration.InactivityTimeoutSeconds.Should().Be(1800);
        configuration.AllowHttp.Should().BeFalse();
        configuration.VerifyCertificates.Should().BeTrue();
        configuration.CaDirectory.Should().BeNull();
        configuration.Sandbox.Should().BeNull();
        configuration.ImageDirectory.Should().Be("/var/lib/virtual-media/images");
        configuration.Slots.Select(s => s.Name).Should().Equal("Slot_0", "Slot_1", "Slot_2", "Slot_3");
        configuration.Slots[0].Should().Be(new SlotConfiguration(
            "Slot_0", SlotMode.Proxy, "/nbd/0", "nbd0", "/run/virtual-media/nbd0.sock", 30, 512, MediaType.UsbStick, EjectPolicy.Session));
        configuration.Slots[3].Should().Be(new SlotConfiguration(
            "Slot_3", SlotMode.Legacy, string.Empty, "nbd3", "/run/virtual-media/nbd3.sock", 90, 512, MediaType.UsbStick));
    }

    [Test]
    public void Compact_form_expands_to_the_original_default_slots()
    {
        var original = ConfigurationLoader.Parse(File, OriginalDefaultFile, out _);
        var compact = ConfigurationLoader.Parse(File, """{"ProxyMountPoints": 2, "LegacyMountPoints": 2}""", out _);

        compact.Slots.Should().Equal(original.Slots);
        compact.InactivityTimeoutSeconds.Should().Be(original.InactivityTimeoutSeconds);
    }

    [Test]
    public void Compact_form_in_a_sandbox_puts_the_sockets_inside_it()
    {
        using var sandbox = new TempDirectory();
        var compact = ConfigurationLoader.Parse(
            File, $$"""{"LegacyMountPoints": 1, "Sandbox": "{{sandbox.Path}}"}""", out _);

        compact.Sandbox.Should().Be(sandbox.Path);
        compact.Slots.Single().UnixSocket.Should().Be(Path.Combine(sandbox.Path, "run/virtual-media/nbd0.sock"));
    }

    [Test]
    public void Optional_keys_of_ours_are_read()
    {
        using var ca = new TempDirectory();
        var configuration = ConfigurationLoader.Parse(File, $$"""
            {
              "AllowHttp": true, "VerifyCertificates": false, "CaDirectory": "{{ca.Path}}",
              "ImageDirectory": "/srv/images", "CacheMiB": 32, "NbdBufferMiB": 100, "InactivityTimeout": 0,
              "MountPoints": { "Cd": { "Mode": 1, "NBDDevice": "nbd7", "UnixSocket": "/run/x.sock", "MediaType": "CD" } }
            }
            """, out var warnings);

        warnings.Should().BeEmpty();
        configuration.AllowHttp.Should().BeTrue();
        configuration.VerifyCertificates.Should().BeFalse();
        configuration.CaDirectory.Should().Be(ca.Path);
        configuration.ImageDirectory.Should().Be("/srv/images");
        configuration.CacheMiB.Should().Be(32);
        configuration.NbdBufferBytes.Should().Be(100L << 20);
        configuration.InactivityTimeoutSeconds.Should().Be(0);
        configuration.Slots.Single().Should().Be(new SlotConfiguration(
            "Cd", SlotMode.Legacy, string.Empty, "nbd7", "/run/x.sock", 90, 512, MediaType.Cd));
    }

    [Test]
    public void Each_eject_policy_is_read_per_slot()
    {
        var configuration = ConfigurationLoader.Parse(File, """
            { "MountPoints": {
                "P": { "Mode": 0, "EndpointId": "/nbd/0", "NBDDevice": "nbd0", "UnixSocket": "/r/p", "EjectPolicy": "Session" },
                "K": { "Mode": 1, "NBDDevice": "nbd1", "UnixSocket": "/r/k", "EjectPolicy": "Persistent" },
                "T": { "Mode": 1, "NBDDevice": "nbd2", "UnixSocket": "/r/t", "EjectPolicy": "Timed", "EjectTimeout": 3600 },
                "O": { "Mode": 1, "NBDDevice": "nbd3", "UnixSocket": "/r/o", "EjectPolicy": "OnPowerOff" },
                "D": { "Mode": 1, "NBDDevice": "nbd4", "UnixSocket": "/r/d" } } }
            """, out var warnings);

        warnings.Should().BeEmpty();
        configuration.Slots.Select(s => (s.Name, s.EjectPolicy, s.EjectTimeoutSeconds)).Should().Equal(
            ("P", EjectPolicy.Session, (ushort)0),
            ("K", EjectPolicy.Persistent, (ushort)0),
            ("T", EjectPolicy.Timed, (ushort)3600),
            ("O", EjectPolicy.OnPowerOff, (ushort)0),
            ("D", EjectPolicy.Persistent, (ushort)0));
    }

    [Test]
    public void The_transfer_method_is_read_per_slot_and_the_upload_reserve_once()
    {
        var configuration = ConfigurationLoader.Parse(File, """
            { "UploadReserveMiB": 128, "MountPoints": {
                "P": { "Mode": 0, "EndpointId": "/nbd/0", "NBDDevice": "nbd0", "UnixSocket": "/r/p", "TransferMethod": "Stream" },
                "U": { "Mode": 1, "NBDDevice": "nbd1", "UnixSocket": "/r/u", "TransferMethod": "Upload" },
                "S": { "Mode": 1, "NBDDevice": "nbd2", "UnixSocket": "/r/s", "TransferMethod": "Stream" },
                "D": { "Mode": 1, "NBDDevice": "nbd3", "UnixSocket": "/r/d" } } }
            """, out var warnings);

        warnings.Should().BeEmpty();
        configuration.UploadReserveMiB.Should().Be(128);
        configuration.Slots.Select(s => (s.Name, s.TransferMethod)).Should().Equal(
            ("P", TransferMethod.Stream), ("U", TransferMethod.Upload), ("S", TransferMethod.Stream), ("D", TransferMethod.Stream));
        ConfigurationLoader.Parse(File, OriginalDefaultFile, out _).UploadReserveMiB.Should().Be(64, "the default reserve");
    }

    [TestCase("""{"LegacyMountPoints": 1}""", 48)]
    [TestCase("""{"LegacyMountPoints": 1, "CacheMiB": 64}""", 128)]
    public void The_NBD_buffer_budget_follows_the_cache_unless_given(string json, long mebibytes)
    {
        ConfigurationLoader.Parse(File, json, out _).NbdBufferBytes.Should().Be(mebibytes << 20);
    }

    [Test]
    public void Unknown_keys_are_warned_about_by_file_slot_and_field()
    {
        ConfigurationLoader.Parse(File, """
            { "AllowHTTP": true, "MountPoints": { "S": { "Mode": 1, "NBDDevice": "nbd0", "UnixSocket": "/r/s", "Timeuot": 3 } } }
            """, out var warnings);

        warnings.Should().Equal(
            "/etc/virtual-media.json: field AllowHTTP: unknown, ignored",
            "/etc/virtual-media.json: slot S: field Timeuot: unknown, ignored");
    }

    [TestCase("""{"MountPoints": {"Slot_0": {"Mode": 2, "NBDDevice": "nbd0", "UnixSocket": "/r/a"}}}""", "Slot_0", "Mode")]
    [TestCase("""{"MountPoints": {"Slot_0": {"NBDDevice": "nbd0", "UnixSocket": "/r/a"}}}""", "Slot_0", "Mode")]
    [TestCase("""{"MountPoints": {"Slot_0": {"Mode": 0, "EndpointId": "", "NBDDevice": "nbd0", "UnixSocket": "/r/a"}}}""", "Slot_0", "EndpointId")]
    [TestCase("""{"MountPoints": {"Slot_0": {"Mode": 1, "NBDDevice": "sda", "UnixSocket": "/r/a"}}}""", "Slot_0", "NBDDevice")]
    [TestCase("""{"MountPoints": {"Slot_0": {"Mode": 1, "UnixSocket": "/r/a"}}}""", "Slot_0", "NBDDevice")]
    [TestCase("""{"MountPoints": {"Slot_0": {"Mode": 1, "NBDDevice": "nbd0", "UnixSocket": "r/a"}}}""", "Slot_0", "UnixSocket")]
    [TestCase("""{"MountPoints": {"Slot_0": {"Mode": 1, "NBDDevice": "nbd0"}}}""", "Slot_0", "UnixSocket")]
    [TestCase("""{"MountPoints": {"Slot_0": {"Mode": 1, "NBDDevice": "nbd0", "UnixSocket": "/r/a", "Timeout": 0}}}""", "Slot_0", "Timeout")]
    [TestCase("""{"MountPoints": {"Slot_0": {"Mode": 1, "NBDDevice": "nbd0", "UnixSocket": "/r/a", "Timeout": "30"}}}""", "Slot_0", "Timeout")]
    [TestCase("""{"MountPoints": {"Slot_0": {"Mode": 1, "NBDDevice": "nbd0", "UnixSocket": "/r/a", "BlockSize": 1000}}}""", "Slot_0", "BlockSize")]
    [TestCase("""{"MountPoints": {"Slot_0": {"Mode": 1, "NBDDevice": "nbd0", "UnixSocket": "/r/a", "MediaType": "DVD"}}}""", "Slot_0", "MediaType")]
    [TestCase("""{"MountPoints": {"Slot_0": {"Mode": 1, "NBDDevice": "nbd0", "UnixSocket": "/r/a", "EndpointId": 5}}}""", "Slot_0", "EndpointId")]
    [TestCase("""{"MountPoints": {"Slot_0": {"Mode": 1, "NBDDevice": "nbd0", "UnixSocket": "/r/a", "EjectPolicy": "AfterUse"}}}""", "Slot_0", "EjectPolicy")]
    [TestCase("""{"MountPoints": {"Slot_0": {"Mode": 1, "NBDDevice": "nbd0", "UnixSocket": "/r/a", "EjectPolicy": "Session"}}}""", "Slot_0", "EjectPolicy")]
    [TestCase("""{"MountPoints": {"Slot_0": {"Mode": 1, "NBDDevice": "nbd0", "UnixSocket": "/r/a", "EjectPolicy": 1}}}""", "Slot_0", "EjectPolicy")]
    [TestCase("""{"MountPoints": {"Slot_0": {"Mode": 0, "EndpointId": "/nbd/0", "NBDDevice": "nbd0", "UnixSocket": "/r/a", "EjectPolicy": "Timed", "EjectTimeout": 5}}}""", "Slot_0", "EjectPolicy")]
    [TestCase("""{"MountPoints": {"Slot_0": {"Mode": 1, "NBDDevice": "nbd0", "UnixSocket": "/r/a", "EjectPolicy": "Timed"}}}""", "Slot_0", "EjectTimeout")]
    [TestCase("""{"MountPoints": {"Slot_0": {"Mode": 1, "NBDDevice": "nbd0", "UnixSocket": "/r/a", "EjectPolicy": "Timed", "EjectTimeout": 0}}}""", "Slot_0", "EjectTimeout")]
    [TestCase("""{"MountPoints": {"Slot_0": {"Mode": 1, "NBDDevice": "nbd0", "UnixSocket": "/r/a", "EjectPolicy": "Timed", "EjectTimeout": 65536}}}""", "Slot_0", "EjectTimeout")]
    [TestCase("""{"MountPoints": {"Slot_0": {"Mode": 1, "NBDDevice": "nbd0", "UnixSocket": "/r/a", "EjectTimeout": 60}}}""", "Slot_0", "EjectTimeout")]
    [TestCase("""{"MountPoints": {"Slot_0": {"Mode": 1, "NBDDevice": "nbd0", "UnixSocket": "/r/a", "TransferMethod": "Copy"}}}""", "Slot_0", "TransferMethod")]
    [TestCase("""{"MountPoints": {"Slot_0": {"Mode": 1, "NBDDevice": "nbd0", "UnixSocket": "/r/a", "TransferMethod": "upload"}}}""", "Slot_0", "TransferMethod")]
    [TestCase("""{"MountPoints": {"Slot_0": {"Mode": 0, "EndpointId": "/nbd/0", "NBDDevice": "nbd0", "UnixSocket": "/r/a", "TransferMethod": "Upload"}}}""", "Slot_0", "TransferMethod")]
    [TestCase("""{"LegacyMountPoints": 1, "UploadReserveMiB": -1}""", null, "UploadReserveMiB")]
    [TestCase("""{"MountPoints": {"Slot-0": {"Mode": 1, "NBDDevice": "nbd0", "UnixSocket": "/r/a"}}}""", "Slot-0", null)]
    [TestCase("""{"MountPoints": {"Slot_0": []}}""", "Slot_0", null)]
    [TestCase("""{"MountPoints": {"A": {"Mode": 1, "NBDDevice": "nbd0", "UnixSocket": "/r/a"}, "B": {"Mode": 1, "NBDDevice": "nbd0", "UnixSocket": "/r/b"}}}""", "B", "NBDDevice")]
    [TestCase("""{"MountPoints": {"A": {"Mode": 1, "NBDDevice": "nbd0", "UnixSocket": "/r/a"}, "B": {"Mode": 1, "NBDDevice": "nbd1", "UnixSocket": "/r/a"}}}""", "B", "UnixSocket")]
    [TestCase("""{"MountPoints": {"A": {"Mode": 0, "EndpointId": "/nbd/0", "NBDDevice": "nbd0", "UnixSocket": "/r/a"}, "B": {"Mode": 0, "EndpointId": "/nbd/0", "NBDDevice": "nbd1", "UnixSocket": "/r/b"}}}""", "B", "EndpointId")]
    [TestCase("""{"InactivityTimeout": -1, "LegacyMountPoints": 1}""", null, "InactivityTimeout")]
    [TestCase("""{"MountPoints": {}}""", null, "MountPoints")]
    [TestCase("""{"MountPoints": 3}""", null, "MountPoints")]
    [TestCase("""{}""", null, "MountPoints")]
    [TestCase("""{"ProxyMountPoints": 1, "MountPoints": {}}""", null, "MountPoints")]
    [TestCase("""{"ProxyMountPoints": -1}""", null, "ProxyMountPoints")]
    [TestCase("""{"LegacyMountPoints": 1, "AllowHttp": "yes"}""", null, "AllowHttp")]
    [TestCase("""{"LegacyMountPoints": 1, "CacheMiB": 0}""", null, "CacheMiB")]
    [TestCase("""{"LegacyMountPoints": 1, "NbdBufferMiB": 16}""", null, "NbdBufferMiB")]
    [TestCase("""{"LegacyMountPoints": 1, "CaDirectory": "/does/not/exist"}""", null, "CaDirectory")]
    [TestCase("""{"LegacyMountPoints": 1, "Sandbox": ""}""", null, "Sandbox")]
    public void Every_error_names_file_slot_and_field(string json, string? slot, string? field)
    {
        var act = () => ConfigurationLoader.Parse(File, json, out _);

        var error = act.Should().Throw<ConfigurationException>().Which;
        error.File.Should().Be(File);
        error.Slot.Should().Be(slot);
        error.Field.Should().Be(field);
        error.Message.Should().StartWith(File);
        if (slot is not null)
        {
            error.Message.Should().Contain($"slot {slot}");
        }

        if (field is not null)
        {
            error.Message.Should().Contain($"field {field}");
        }
    }

    [TestCase("{ \"MountPoints\": ")]
    [TestCase("[1, 2]")]
    [TestCase("")]
    public void A_file_that_is_not_a_json_object_is_refused_naming_the_file(string json)
    {
        var act = () => ConfigurationLoader.Parse(File, json, out _);

        act.Should().Throw<ConfigurationException>().WithMessage(File + ": *");
    }

    [Test]
    public void A_missing_file_is_refused_naming_the_file()
    {
        var act = () => ConfigurationLoader.Load("/nonexistent/virtual-media.json", out _);

        act.Should().Throw<ConfigurationException>().WithMessage("/nonexistent/virtual-media.json: cannot be read*");
    }

    // Found by fuzzing (fuzz/regressions/configuration): a newline in a name or value split the error into two log
    // lines, the second of which could pass for a journal entry of its own ("<3>...").
    [TestCase("""{"MountPoints": {"Slot\n<3>forged": {"Mode": 7}}}""")]
    [TestCase("""{"MountPoints": {"S": {"Mode": 1, "NBDDevice": "nbd0\r\n<3>forged", "UnixSocket": "/r/a"}}}""")]
    [TestCase("""{"MountPoints": {"a\n": {"Mode": 1, "NBDDevice": "nbd0", "UnixSocket": "/r/a"}, "b": {"Mode": 1, "NBDDevice": "nbd0", "UnixSocket": "/r/b"}}}""")]
    [TestCase("""{"CaDirectory": "/no\nsuch\u2028dir"}""")]
    public void Errors_stay_one_line_whatever_the_names_and_values_hold(string json)
    {
        var act = () => ConfigurationLoader.Parse(File, json, out _);

        var message = act.Should().Throw<ConfigurationException>().Which.Message;
        message.Should().Match(m => !m.Any(c => char.IsControl(c) || c == '\u2028' || c == '\u2029'));
    }

    [Test]
    public void Warnings_stay_one_line_whatever_the_names_hold()
    {
        ConfigurationLoader.Parse(File, """
            {"MountPoints": {"S": {"Mode": 1, "NBDDevice": "nbd0", "UnixSocket": "/r/s", "Odd\r\n<3>key": 1}}, "K\u0085": 1}
            """, out var warnings);

        warnings.Should().HaveCount(2).And.OnlyContain(w => !w.Any(c => char.IsControl(c) || c == '\u2028' || c == '\u2029'));
    }
}
