namespace VirtualMedia.Tests.Guest.Runner;

/// <summary>A case's check failed; the message says what was seen.</summary>
public sealed class CaseFailedException(string message) : Exception(message);
