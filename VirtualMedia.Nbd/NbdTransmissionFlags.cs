namespace VirtualMedia.Nbd;

/// <summary>Export flags sent to the client at the end of the handshake.</summary>
[Flags]
[System.Diagnostics.CodeAnalysis.SuppressMessage(
    "Naming", "CA1711", Justification = "The protocol calls these transmission flags.")]
public enum NbdTransmissionFlags : ushort
{
    None = 0,
    HasFlags = 1,
    ReadOnly = 2,
    SendFlush = 4,
    SendFua = 8,
    Rotational = 16,
    SendTrim = 32,
    SendWriteZeroes = 64,
    SendDontFragment = 128,
    CanMultiConn = 256,
}
