namespace VirtualMedia.Tests.KernelTier;

/// <summary>One guest case's outcome and log.</summary>
public sealed record GuestCaseResult(string Name, bool Passed, string Log);
