using SharpFuzz;
using VirtualMedia.Fuzz;

// Under afl-fuzz (fuzz/run): `VirtualMedia.Fuzz TARGET`, inputs arrive through SharpFuzz's shared-memory loop.
// `VirtualMedia.Fuzz TARGET FILE...` runs files once each, to reproduce a finding outside afl.
if (args.Length == 0)
{
    Console.Error.WriteLine($"usage: VirtualMedia.Fuzz TARGET [FILE...]; targets: {string.Join(", ", FuzzTargets.All.Select(t => t.Name))}");
    return 64;
}

var target = FuzzTargets.Get(args[0]);
if (args.Length > 1)
{
    foreach (var file in args[1..])
    {
        await target.RunAsync(await File.ReadAllBytesAsync(file));
        Console.WriteLine($"{file}: ok");
    }

    return 0;
}

// afl's loop is synchronous: this is the one place that blocks on a target's task.
Fuzzer.OutOfProcess.Run(stream =>
{
    using var copy = new MemoryStream();
    stream.CopyTo(copy);
    target.RunAsync(copy.ToArray()).GetAwaiter().GetResult();
});
return 0;
