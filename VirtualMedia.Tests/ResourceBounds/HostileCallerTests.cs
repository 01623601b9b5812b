using System.Diagnostics;
using VirtualMedia.DBus;
using VirtualMedia.Tests.Infrastructure;
using VirtualMedia.Tests.Service;

namespace VirtualMedia.Tests.ResourceBounds;

/// <summary>One hostile D-Bus caller cannot hold up another caller's Mount: not by flooding the service with oversized
/// calls, nor by sending a Mount whose secret never arrives.</summary>
[TestFixture]
[NonParallelizable]
public sealed class HostileCallerTests
{
    /// <summary>What the other caller's Mount may take at most (it answers in tens of milliseconds when alone).</summary>
    private static readonly TimeSpan Bound = Patience.Scale(TimeSpan.FromSeconds(5));

    /// <summary>Calls of 4.3 MB the hostile caller keeps in flight, each followed by another until the other caller's Mount
    /// is answered (~70 MB always queued in the bus ahead of the service; the Mount waits its turn behind them, ~0.5 s).</summary>
    private const int Flood = 16;

    [Test]
    public async Task AFloodOfOversizedCallsDoesNotDelayAnotherCallersMount()
    {
        await using var rig = await ServiceRig.StartAsync();
        var image = ServiceRig.WriteImage(rig.ImageDirectory, "disk.img", 1024 * 1024);
        var alone = await TimedMountAsync(rig, ServiceRig.LegacyPath(3), image);

        await using var hostile = await DBusConnection.ConnectAsync(rig.Bus.Address);
        using var mountAnswered = new CancellationTokenSource();
        var inFlight = 0;
        var unanswered = 0;

        // The flood goes on until the Mount is answered: a flood of fixed size was sometimes all answered before the
        // Mount, and then proved nothing. (Sending a call blocks its caller until written: the flood goes out from pool
        // threads, the Mount meanwhile.)
        var flood = Enumerable.Range(0, Flood).Select(_ => Task.Run(async () =>
        {
            while (!mountAnswered.IsCancellationRequested)
            {
                Interlocked.Increment(ref inFlight);
                await OversizedGetAsync(hostile);
                Interlocked.Decrement(ref inFlight);
            }
        })).ToArray();
        await Task.Delay(TimeSpan.FromMilliseconds(50));
        TimeSpan meanwhile;
        try
        {
            meanwhile = await TimedMountAsync(rig, ServiceRig.LegacyPath(2), image, () =>
            {
                unanswered = Volatile.Read(ref inFlight);
                mountAnswered.Cancel();
            });
        }
        finally
        {
            // A Mount that failed stops the flood too, rather than leaving it to run until the connection closes.
            await mountAnswered.CancelAsync();
        }

        await Task.WhenAll(flood);

        TestContext.Out.WriteLine($"Mount answered in {alone.TotalMilliseconds:0} ms alone, {meanwhile.TotalMilliseconds:0} ms during a " +
            $"flood of {Flood} calls of 4.3 MB at a time ({unanswered} of them unanswered when it was)");
        unanswered.Should().BePositive("the Mount must have been measured during the flood");
        meanwhile.Should().BeLessThan(Bound);
        (await rig.IsActiveAsync(ServiceRig.LegacyPath(2))).Should().BeTrue();
        rig.Service.HasExited.Should().BeFalse(rig.Service.Output);
    }

    [Test]
    public async Task AMountWhoseSecretNeverComesDoesNotDelayAnotherCallersMount()
    {
        await using var rig = await ServiceRig.StartAsync();
        var image = ServiceRig.WriteImage(rig.ImageDirectory, "disk.img", 1024 * 1024);
        await using var hostile = await DBusConnection.ConnectAsync(rig.Bus.Address);
        using var silent = new SecretPipe();
        var stalled = HostileMountAsync(hostile, ServiceRig.LegacyPath(2), image, silent);
        await Task.Delay(TimeSpan.FromMilliseconds(500));

        var meanwhile = await TimedMountAsync(rig, ServiceRig.LegacyPath(3), image);
        stalled.IsCompleted.Should().BeFalse("the hostile caller's secret has not arrived");
        silent.CloseWriteEnd();
        var refusal = await FluentActions.Awaiting(() => stalled).Should().ThrowAsync<DBusErrorException>();

        TestContext.Out.WriteLine($"Mount answered in {meanwhile.TotalMilliseconds:0} ms while another waited for its secret");
        meanwhile.Should().BeLessThan(Bound);
        refusal.Which.ErrorName.Should().Be("org.freedesktop.DBus.Error.InvalidArgs");
    }

    /// <summary>Mounts <paramref name="image"/> as the rig's caller; returns how long Mount took to answer (when
    /// <paramref name="answered"/> runs), then waits for its Completion.</summary>
    private static async Task<TimeSpan> TimedMountAsync(ServiceRig rig, string path, string image, Action? answered = null)
    {
        var clock = Stopwatch.StartNew();
        (await rig.MountWithIntAsync(path, "file://" + image, false)).Should().BeTrue();
        var took = clock.Elapsed;
        answered?.Invoke();
        rig.NextCompletion(path).Should().Be(0);
        return took;
    }

    private static async Task OversizedGetAsync(DBusConnection hostile)
    {
        var body = MessageBody.Create("ss");
        body.WriteString(new string('i', 4_300_000));
        body.WriteString("Active");
        try
        {
            using var reply = await hostile.CallMethodAsync(
                ServiceRig.Name, ServiceRig.LegacyPath(3), "org.freedesktop.DBus.Properties", "Get", body, ServiceRig.CallTimeout);
        }
        catch (DBusErrorException)
        {
            // Refused (LimitsExceeded), as it must be; only how long the other caller waits matters here.
        }
    }

    private static async Task HostileMountAsync(DBusConnection hostile, string path, string image, SecretPipe secret)
    {
        var body = MessageBody.Create("sbh");
        body.WriteString("file://" + image);
        body.WriteBool(false);
        body.WriteUnixFd(secret.ReadEnd);
        using var reply = await hostile.CallMethodAsync(ServiceRig.Name, path, ServiceRig.Legacy, "Mount", body, ServiceRig.CallTimeout);
    }
}
