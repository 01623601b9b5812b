using VirtualMedia.Fuzz;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.Fuzz;

/// <summary>Runs one fuzz input through its target as afl does, bounded in time: a hang fails like a crash.</summary>
internal static class FuzzInputs
{
    /// <summary>Far above any input's time (milliseconds); only a hang or a starved machine reaches it.</summary>
    public static readonly TimeSpan PerInput = TimeSpan.FromSeconds(20);

    public static string Directory => Repository.Combine("fuzz");

    public static IEnumerable<TestCaseData> Files(Func<string, string, IReadOnlyList<string>> list) =>
        FuzzTargets.All.SelectMany(target => list(Directory, target.Name)
            .Select(file => new TestCaseData(target.Name, file).SetArgDisplayNames(target.Name, Path.GetFileName(file))));

    /// <summary>Runs <paramref name="input"/>; fails naming the input (base64, to commit as a regression) on any finding.</summary>
    public static async Task RunAsync(IFuzzTarget target, byte[] input)
    {
        Task run = Task.Run(() => target.RunAsync(input));
        try
        {
            await run.WaitAsync(PerInput);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"{target.Name} did not return within {PerInput.TotalSeconds} s (a hang) for input {Convert.ToBase64String(input)}");
        }
        catch (Exception e)
        {
            Assert.Fail($"{target.Name} threw {e.GetType().Name}: {e.Message}\nfor input {Convert.ToBase64String(input)}\n{e}");
        }
    }
}
