using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;

namespace VirtualMedia.Tests.Infrastructure;

/// <summary>The result of a finished external program.</summary>
public sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>Throws with the program's output when it did not exit 0.</summary>
    public ProcessResult EnsureSuccess(string what)
    {
        if (ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{what} exited {ExitCode}\nstdout: {StandardOutput}\nstderr: {StandardError}");
        }

        return this;
    }
}

/// <summary>Runs real peer programs (busctl, nbdcopy, nginx, …) from tests, always bounded in time.</summary>
public static partial class ExternalProcess
{
    /// <summary>Runs <paramref name="program"/> to completion and captures its output.</summary>
    public static async Task<ProcessResult> RunAsync(
        string program,
        IEnumerable<string> arguments,
        TimeSpan? timeout = null,
        IReadOnlyDictionary<string, string>? environment = null,
        Stream? standardInput = null,
        CancellationToken cancellationToken = default)
    {
        using var process = Start(program, arguments, environment, redirectInput: standardInput is not null);
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout ?? TimeSpan.FromSeconds(60));

        var stdout = process.StandardOutput.ReadToEndAsync(timeoutSource.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeoutSource.Token);
        if (standardInput is not null)
        {
            await standardInput.CopyToAsync(process.StandardInput.BaseStream, timeoutSource.Token);
            process.StandardInput.Close();
        }

        try
        {
            await process.WaitForExitAsync(timeoutSource.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not finish in time");
        }

        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts a long-running peer (a server); the caller stops it.</summary>
    public static Process Start(
        string program,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string>? environment = null,
        bool redirectInput = false)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectInput,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        return Process.Start(info) ?? throw new InvalidOperationException($"could not start {program}");
    }

    /// <summary>Collects the lines <paramref name="process"/> writes (stdout and stderr) until it closes both.</summary>
    public static Task CollectLinesAsync(Process process, ConcurrentQueue<string> lines) =>
        Task.WhenAll(PumpAsync(process.StandardOutput, lines), PumpAsync(process.StandardError, lines));

    /// <summary>Stops a peer started with <see cref="Start"/>, politely first.</summary>
    public static async Task StopAsync(Process process, TimeSpan? grace = null)
    {
        if (process.HasExited)
        {
            return;
        }

        _ = Kill(process.Id, 15);
        using var timeout = new CancellationTokenSource(grace ?? TimeSpan.FromSeconds(5));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
        }
    }

    private static async Task PumpAsync(StreamReader reader, ConcurrentQueue<string> lines)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lines.Enqueue(line);
        }
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
