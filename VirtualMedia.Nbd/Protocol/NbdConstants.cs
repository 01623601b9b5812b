namespace VirtualMedia.Nbd.Protocol;

/// <summary>Magic numbers, option and reply codes of the NBD protocol (proto.md, fixed newstyle).</summary>
internal static class NbdConstants
{
    public const ulong InitMagic = 0x4e42444d41474943; // "NBDMAGIC"
    public const ulong OptionMagic = 0x49484156454F5054; // "IHAVEOPT"
    public const ulong OptionReplyMagic = 0x0003e889045565a9;
    public const uint RequestMagic = 0x25609513;
    public const uint SimpleReplyMagic = 0x67446698;
    public const uint StructuredReplyMagic = 0x668e33ef;

    public const ushort HandshakeFixedNewstyle = 1;
    public const ushort HandshakeNoZeroes = 2;
    public const uint ClientFixedNewstyle = 1;
    public const uint ClientNoZeroes = 2;

    public const int RequestHeaderSize = 28;
    public const int SimpleReplyHeaderSize = 16;
    public const int StructuredReadHeaderSize = 28; // chunk header (20) + offset (8)

    /// <summary>Largest request payload we accept and advertise as the maximum block size: 2^25, what the NBD spec lets
    /// clients that never ask for block sizes (the kernel's nbd driver) send, so none of them is refused. Larger READs
    /// get EINVAL as the spec says; larger WRITEs end the connection, as their payload cannot be skipped cheaply.</summary>
    public const int MaxPayload = 32 * 1024 * 1024;

    /// <summary>Option payloads are tiny; anything bigger is hostile.</summary>
    public const int MaxOptionLength = 64 * 1024;

    public const ushort ReplyFlagDone = 1;
    public const ushort ReplyTypeNone = 0;
    public const ushort ReplyTypeOffsetData = 1;
    public const ushort ReplyTypeError = 32769;
}

/// <summary>Handshake options sent by the client.</summary>
internal enum NbdOption : uint
{
    ExportName = 1,
    Abort = 2,
    List = 3,
    StartTls = 5,
    Info = 6,
    Go = 7,
    StructuredReply = 8,
}

/// <summary>Option reply types; values with the high bit set are errors.</summary>
internal enum NbdOptionReply : uint
{
    Ack = 1,
    Server = 2,
    Info = 3,
    ErrUnsupported = 0x80000001,
    ErrPolicy = 0x80000002,
    ErrInvalid = 0x80000003,
    ErrUnknown = 0x80000006,
    ErrShutdown = 0x80000007,
}

/// <summary>Information items of NBD_OPT_INFO / NBD_OPT_GO.</summary>
internal enum NbdInfo : ushort
{
    Export = 0,
    Name = 1,
    Description = 2,
    BlockSize = 3,
}

/// <summary>Transmission commands.</summary>
internal enum NbdCommand : ushort
{
    Read = 0,
    Write = 1,
    Disconnect = 2,
    Flush = 3,
    Trim = 4,
    Cache = 5,
    WriteZeroes = 6,
    BlockStatus = 7,
}

/// <summary>Per-request command flags.</summary>
[Flags]
internal enum NbdCommandFlags : ushort
{
    None = 0,
    Fua = 1,
    NoHole = 2,
    DontFragment = 4,
    ReqOne = 8,
    FastZero = 16,
}
