using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.Service;

/// <summary>
/// A service that cannot start says why in one error line and exits with a code systemd can act on: 78 for the
/// configuration (no restart), 1 for a missing bus (restart) — never a stack trace (issue 11.5).
/// </summary>
[NonParallelizable]
public sealed class StartupFailureTests
{
    [Test]
    public async Task A_lone_surrogate_in_a_string_is_a_configuration_error()
    {
        var lines = await RunAsync("""{ "ImageDirectory": "/srv/\ud800", "LegacyMountPoints": 1 }""", expectedExit: 78);

        lines.Single().Should().Contain("field ImageDirectory").And.Contain("not valid Unicode");
    }

    [Test]
    public async Task A_lone_surrogate_in_a_key_is_a_configuration_error()
    {
        var lines = await RunAsync("""{ "MountPoints": { "Slot_\udc00": { "Mode": 1 } } }""", expectedExit: 78);

        lines.Single().Should().Contain("not valid Unicode");
    }

    [Test]
    public async Task A_huge_field_value_is_cut_in_the_error_line()
    {
        var huge = new string('x', 10 * 1024 * 1024);

        var lines = await RunAsync($$"""{ "MountPoints": { "Slot_0": { "Mode": 1, "NBDDevice": "{{huge}}" } } }""", expectedExit: 78);

        var line = lines.Single();
        line.Should().Contain("field NBDDevice").And.Contain(new string('x', 64) + "…");
        line.Length.Should().BeLessThan(1024);
    }

    [Test]
    public async Task A_missing_bus_socket_is_one_error_line_and_exit_1()
    {
        using var directory = new TempDirectory();
        var socket = directory.Combine("no-bus-here");

        var lines = await RunAsync(
            $$"""{ "Sandbox": "{{directory.Combine("sandbox")}}", "LegacyMountPoints": 1 }""",
            expectedExit: 1,
            new Dictionary<string, string> { ["DBUS_SYSTEM_BUS_ADDRESS"] = $"unix:path={socket}" });

        lines.Single().Should().Contain("Cannot start").And.Contain("D-Bus system bus").And.Contain(socket);
    }

    /// <summary>Runs the service on <paramref name="config"/>; returns its error lines after checking the exit code and
    /// that nothing but log lines (no stack trace) was written.</summary>
    private static async Task<IReadOnlyList<string>> RunAsync(
        string config, int expectedExit, IReadOnlyDictionary<string, string>? environment = null)
    {
        using var directory = new TempDirectory();
        var file = directory.Combine("virtual-media.json");
        await File.WriteAllTextAsync(file, config);

        await using var service = ServiceProcess.Start(file, environment ?? new Dictionary<string, string>());
        var exitCode = await service.WaitForExitAsync(TimeSpan.FromSeconds(30));

        exitCode.Should().Be(expectedExit, service.Output);
        service.Lines.Should().OnlyContain(l => l.Length > 3 && l[0] == '<' && l[2] == '>', "every line is a log line:\n" + Excerpt(service.Output));
        return [.. service.Lines.Where(l => l.StartsWith("<3>", StringComparison.Ordinal))];
    }

    private static string Excerpt(string text) => text.Length > 4000 ? text[..4000] : text;
}
