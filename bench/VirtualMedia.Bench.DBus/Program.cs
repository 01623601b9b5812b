using System.Diagnostics;
using System.Globalization;
using VirtualMedia.DBus;

// Method-call round trips through a private dbus-daemon: our client -> dbus-daemon -> our server,
// with `busctl call` (sd-bus, one process per call, as a script would use it) beside it for scale.
const string Name = "org.virtualmedia.Bench";
const string Path = "/org/virtualmedia/Bench";
const string Interface = "org.virtualmedia.Bench1";
var calls = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20_000;
const int BusctlCalls = 50;
const int InFlight = 16;

using var daemon = Process.Start(new ProcessStartInfo("dbus-daemon", ["--session", "--nofork", "--nopidfile", "--print-address=1"])
{
    RedirectStandardOutput = true,
    RedirectStandardError = true,
    UseShellExecute = false,
}) ?? throw new InvalidOperationException("cannot start dbus-daemon (apt-get install dbus-daemon)");
try
{
    var address = (await daemon.StandardOutput.ReadLineAsync())?.Trim() ?? throw new InvalidOperationException("dbus-daemon printed no address");
    await using var server = await DBusConnection.ConnectAsync(address);
    server.Objects.Register(Path, new DBusInterface(Interface).AddMethod("Echo", "s", "s", Echo));
    await server.RequestNameAsync(Name);
    await using var client = await DBusConnection.ConnectAsync(address);

    await Sequential(client, 2_000);
    Report("sequential (1 in flight)", calls, await Measure(() => Sequential(client, calls)));
    Report($"pipelined ({InFlight} in flight)", calls, await Measure(() => Pipelined(client, calls)));

    var stopwatch = Stopwatch.StartNew();
    for (var i = 0; i < BusctlCalls; i++)
    {
        using var busctl = Process.Start(new ProcessStartInfo("busctl", ["--address=" + address, "call", Name, Path, Interface, "Echo", "s", "hello"])
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        await busctl.StandardOutput.ReadToEndAsync();
        await busctl.WaitForExitAsync();
        if (busctl.ExitCode != 0)
        {
            throw new InvalidOperationException("busctl call failed");
        }
    }

    var perCall = stopwatch.Elapsed.TotalMilliseconds / BusctlCalls;
    Console.WriteLine($"busctl call (sd-bus, new process per call): {BusctlCalls} calls, {perCall:F2} ms per call = {1000 / perCall:F0} calls/s");
}
finally
{
    daemon.Kill();
    await daemon.WaitForExitAsync();
}

static ValueTask<MessageBody?> Echo(MethodCall call, CancellationToken cancellationToken)
{
    var reply = MethodCall.CreateReply("s");
    reply.WriteString(call.Reader.ReadString());
    return ValueTask.FromResult<MessageBody?>(reply);
}

static async Task Call(DBusConnection client)
{
    var body = MessageBody.Create("s");
    body.WriteString("hello");
    using var reply = await client.CallMethodAsync(Name, Path, Interface, "Echo", body);
    if (reply.GetReader().ReadStringBytes().Length != 5)
    {
        throw new InvalidOperationException("wrong reply");
    }
}

static async Task Sequential(DBusConnection client, int count)
{
    for (var i = 0; i < count; i++)
    {
        await Call(client);
    }
}

static async Task Pipelined(DBusConnection client, int count)
{
    var workers = new Task[InFlight];
    for (var w = 0; w < InFlight; w++)
    {
        workers[w] = Sequential(client, count / InFlight);
    }

    await Task.WhenAll(workers);
}

static async Task<(TimeSpan Elapsed, long Allocated)> Measure(Func<Task> run)
{
    GC.Collect();
    var allocated = GC.GetTotalAllocatedBytes(precise: true);
    var stopwatch = Stopwatch.StartNew();
    await run();
    return (stopwatch.Elapsed, GC.GetTotalAllocatedBytes(precise: true) - allocated);
}

static void Report(string what, int count, (TimeSpan Elapsed, long Allocated) result) =>
    Console.WriteLine(
        $"our client -> dbus-daemon -> our server, {what}: {count} calls in {result.Elapsed.TotalSeconds:F2} s = "
        + $"{count / result.Elapsed.TotalSeconds:F0} calls/s, {result.Allocated / count} bytes allocated per call (client and server, this process)");
