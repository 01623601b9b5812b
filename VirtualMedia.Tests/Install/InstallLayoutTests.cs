using System.Runtime.Versioning;
using VirtualMedia.Service.Configuration;
using VirtualMedia.Tests.Infrastructure;
using VirtualMedia.Tests.Service.Configuration;

namespace VirtualMedia.Tests.Install;

/// <summary>
/// scripts/install lays out exactly what a BMC image carries, with the modes a package gives them.
/// The binary is a stand-in here (the layout is under test); the kernel tier boots the real one.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class InstallLayoutTests
{
    private static readonly string[] Files =
    [
        "etc/virtual-media.json",
        "usr/bin/virtual-media",
        "usr/lib/systemd/system/virtual-media.service",
        "usr/lib/tmpfiles.d/virtual-media.conf",
        "usr/share/dbus-1/system-services/xyz.openbmc_project.VirtualMedia.service",
        "usr/share/dbus-1/system.d/xyz.openbmc_project.VirtualMedia.conf",
    ];

    private TempDirectory _work = null!;
    private string _root = null!;
    private byte[] _binary = null!;

    [OneTimeSetUp]
    public async Task Install()
    {
        _work = new TempDirectory("install");
        var binary = _work.Combine("stand-in-binary");
        _binary = [0x7f, (byte)'E', (byte)'L', (byte)'F', 1, 2, 3];
        await File.WriteAllBytesAsync(binary, _binary);
        File.SetUnixFileMode(binary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        _root = _work.Combine("root");
        (await ExternalProcess.RunAsync(Repository.Combine("scripts/install"), ["--binary", binary, _root]))
            .EnsureSuccess("scripts/install");
    }

    [OneTimeTearDown]
    public void Clean() => _work.Dispose();

    [Test]
    public void Exactly_the_product_files_are_installed() =>
        Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(_root, f))
            .Should().BeEquivalentTo(Files);

    [Test]
    public void The_binary_is_executable_and_everything_else_is_read_only_data()
    {
        const UnixFileMode Data = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        const UnixFileMode Program = Data | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        foreach (var file in Files)
        {
            File.GetUnixFileMode(Path.Combine(_root, file)).Should().Be(file == "usr/bin/virtual-media" ? Program : Data, file);
        }

        File.ReadAllBytes(Path.Combine(_root, "usr/bin/virtual-media")).Should().Equal(_binary);
    }

    [Test]
    public void Every_directory_is_world_readable()
    {
        foreach (var directory in Directory.EnumerateDirectories(_root, "*", SearchOption.AllDirectories))
        {
            File.GetUnixFileMode(directory).Should().Be(
                UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead
                | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute,
                Path.GetRelativePath(_root, directory));
        }
    }

    [Test]
    public void The_unit_runs_the_installed_binary_with_the_installed_configuration()
    {
        var unit = File.ReadAllLines(Path.Combine(_root, "usr/lib/systemd/system/virtual-media.service"));
        unit.Should().Contain("ExecStart=/usr/bin/virtual-media --config /etc/virtual-media.json");
        // Spelled as the GC reads it (DOTNET_GCgen0MaxBudget, or a 0x prefix, is silently ignored).
        unit.Should().Contain("Environment=DOTNET_GCGen0MaxBudget=200000");
        File.ReadAllLines(Path.Combine(_root, "usr/share/dbus-1/system-services/xyz.openbmc_project.VirtualMedia.service"))
            .Should().Contain("SystemdService=virtual-media.service");
    }

    [Test]
    public void The_default_configuration_is_the_original_services_four_slots()
    {
        var installed = ConfigurationLoader.Load(Path.Combine(_root, "etc/virtual-media.json"), out var warnings);
        var original = ConfigurationLoader.Parse("/etc/virtual-media.json", ConfigurationLoaderTests.OriginalDefaultFile, out _);

        warnings.Should().BeEmpty();
        installed.Should().BeEquivalentTo(original);
    }
}
