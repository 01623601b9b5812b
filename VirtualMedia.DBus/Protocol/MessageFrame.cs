namespace VirtualMedia.DBus;

/// <summary>Where one received message ends (<see cref="Length"/>) and where its header ends and its body starts (<see cref="HeaderLength"/>).</summary>
internal readonly record struct MessageFrame(int Length, int HeaderLength);
