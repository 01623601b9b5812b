namespace VirtualMedia.Service.ImageSources.Http;

/// <summary>What the cache decided for one read: whether it continues a sequential reader (whose furthest read ends at
/// <see cref="Frontier"/>), and the pages its demand fetch and read-ahead window get.</summary>
internal readonly record struct ReadPlan(bool Sequential, long Frontier, int FetchPages, int WindowPages);
