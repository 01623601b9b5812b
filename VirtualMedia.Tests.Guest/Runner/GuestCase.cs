namespace VirtualMedia.Tests.Guest.Runner;

/// <summary>One real-kernel case: a name (the result file's) and its body, which throws to fail.</summary>
public sealed record GuestCase(string Name, Func<CaseLog, CancellationToken, Task> Run);
