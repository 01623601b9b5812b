using System.Collections.Frozen;

namespace VirtualMedia.DBus;

/// <summary>Linux errno numbers and their D-Bus error names as sd-bus builds them (both directions).</summary>
public static class Errno
{
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int ESRCH = 3;
    public const int EINTR = 4;
    public const int EIO = 5;
    public const int ENXIO = 6;
    public const int E2BIG = 7;
    public const int EBADF = 9;
    public const int EAGAIN = 11;
    public const int ENOMEM = 12;
    public const int EACCES = 13;
    public const int EFAULT = 14;
    public const int EBUSY = 16;
    public const int EEXIST = 17;
    public const int ENODEV = 19;
    public const int ENOTDIR = 20;
    public const int EISDIR = 21;
    public const int EINVAL = 22;
    public const int EMFILE = 24;
    public const int ENOSPC = 28;
    public const int EROFS = 30;
    public const int EPIPE = 32;
    public const int ERANGE = 34;
    public const int ENAMETOOLONG = 36;
    public const int ENOSYS = 38;
    public const int ELOOP = 40;
    public const int EBADR = 53;
    public const int ENODATA = 61;
    public const int ETIME = 62;
    public const int ENONET = 64;
    public const int EPROTO = 71;
    public const int EBADMSG = 74;
    public const int EOVERFLOW = 75;
    public const int EILSEQ = 84;
    public const int EOPNOTSUPP = 95;

    /// <summary>Same number as <see cref="EOPNOTSUPP"/> on Linux.</summary>
    public const int ENOTSUP = 95;
    public const int EADDRINUSE = 98;
    public const int EADDRNOTAVAIL = 99;
    public const int ENETDOWN = 100;
    public const int ENETUNREACH = 101;
    public const int ENETRESET = 102;
    public const int ECONNABORTED = 103;
    public const int ECONNRESET = 104;
    public const int ENOBUFS = 105;
    public const int ENOTCONN = 107;
    public const int ETIMEDOUT = 110;
    public const int ECONNREFUSED = 111;
    public const int EHOSTDOWN = 112;
    public const int EHOSTUNREACH = 113;
    public const int EALREADY = 114;
    public const int EINPROGRESS = 115;
    public const int ECANCELED = 125;
    public const int ENOMEDIUM = 123;
    public const int EMEDIUMTYPE = 124;

    private const string SystemErrorPrefix = "System.Error.";

    // The names sd-bus's errno_to_name knows for the numbers above (asm-generic numbering).
    private static readonly FrozenDictionary<int, string> Names = new Dictionary<int, string>
    {
        [EPERM] = "EPERM",
        [ENOENT] = "ENOENT",
        [ESRCH] = "ESRCH",
        [EINTR] = "EINTR",
        [EIO] = "EIO",
        [ENXIO] = "ENXIO",
        [E2BIG] = "E2BIG",
        [EBADF] = "EBADF",
        [EAGAIN] = "EAGAIN",
        [ENOMEM] = "ENOMEM",
        [EACCES] = "EACCES",
        [EFAULT] = "EFAULT",
        [EBUSY] = "EBUSY",
        [EEXIST] = "EEXIST",
        [ENODEV] = "ENODEV",
        [ENOTDIR] = "ENOTDIR",
        [EISDIR] = "EISDIR",
        [EINVAL] = "EINVAL",
        [EMFILE] = "EMFILE",
        [ENOSPC] = "ENOSPC",
        [EROFS] = "EROFS",
        [EPIPE] = "EPIPE",
        [ERANGE] = "ERANGE",
        [ENAMETOOLONG] = "ENAMETOOLONG",
        [ENOSYS] = "ENOSYS",
        [ELOOP] = "ELOOP",
        [EBADR] = "EBADR",
        [ENODATA] = "ENODATA",
        [ETIME] = "ETIME",
        [ENONET] = "ENONET",
        [EPROTO] = "EPROTO",
        [EBADMSG] = "EBADMSG",
        [EOVERFLOW] = "EOVERFLOW",
        [EILSEQ] = "EILSEQ",
        [EOPNOTSUPP] = "EOPNOTSUPP",
        [EADDRINUSE] = "EADDRINUSE",
        [EADDRNOTAVAIL] = "EADDRNOTAVAIL",
        [ENETDOWN] = "ENETDOWN",
        [ENETUNREACH] = "ENETUNREACH",
        [ENETRESET] = "ENETRESET",
        [ECONNABORTED] = "ECONNABORTED",
        [ECONNRESET] = "ECONNRESET",
        [ENOBUFS] = "ENOBUFS",
        [ENOTCONN] = "ENOTCONN",
        [ETIMEDOUT] = "ETIMEDOUT",
        [ECONNREFUSED] = "ECONNREFUSED",
        [EHOSTDOWN] = "EHOSTDOWN",
        [EHOSTUNREACH] = "EHOSTUNREACH",
        [EALREADY] = "EALREADY",
        [EINPROGRESS] = "EINPROGRESS",
        [ECANCELED] = "ECANCELED",
        [ENOMEDIUM] = "ENOMEDIUM",
        [EMEDIUMTYPE] = "EMEDIUMTYPE",
    }.ToFrozenDictionary();

    private static readonly FrozenDictionary<string, int> Numbers =
        Names.ToDictionary(pair => pair.Value, pair => pair.Key).ToFrozenDictionary(StringComparer.Ordinal);

    // sd-bus's bus_standard_errors: the errno a client derives from a standard error name.
    private static readonly FrozenDictionary<string, int> StandardNames = new Dictionary<string, int>
    {
        [DBusErrorNames.Failed] = EACCES,
        [DBusErrorNames.NoMemory] = ENOMEM,
        [DBusErrorNames.ServiceUnknown] = EHOSTUNREACH,
        [DBusErrorNames.NameHasNoOwner] = ENXIO,
        [DBusErrorNames.NoReply] = ETIMEDOUT,
        [DBusErrorNames.IOError] = EIO,
        [DBusErrorNames.BadAddress] = EADDRNOTAVAIL,
        [DBusErrorNames.NotSupported] = EOPNOTSUPP,
        [DBusErrorNames.LimitsExceeded] = ENOBUFS,
        [DBusErrorNames.AccessDenied] = EACCES,
        [DBusErrorNames.AuthFailed] = EACCES,
        [DBusErrorNames.NoServer] = EHOSTDOWN,
        [DBusErrorNames.Timeout] = ETIMEDOUT,
        [DBusErrorNames.NoNetwork] = ENONET,
        [DBusErrorNames.AddressInUse] = EADDRINUSE,
        [DBusErrorNames.Disconnected] = ECONNRESET,
        [DBusErrorNames.InvalidArgs] = EINVAL,
        [DBusErrorNames.FileNotFound] = ENOENT,
        [DBusErrorNames.FileExists] = EEXIST,
        [DBusErrorNames.UnknownMethod] = EBADR,
        [DBusErrorNames.UnknownObject] = EBADR,
        [DBusErrorNames.UnknownInterface] = EBADR,
        [DBusErrorNames.UnknownProperty] = EBADR,
        [DBusErrorNames.PropertyReadOnly] = EROFS,
        [DBusErrorNames.UnixProcessIdUnknown] = ESRCH,
        [DBusErrorNames.InvalidSignature] = EINVAL,
        [DBusErrorNames.InconsistentMessage] = EBADMSG,
        [DBusErrorNames.TimedOut] = ETIMEDOUT,
        [DBusErrorNames.MatchRuleInvalid] = EINVAL,
        [DBusErrorNames.MatchRuleNotFound] = ENOENT,
        [DBusErrorNames.ObjectPathInUse] = EBUSY,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The D-Bus error name sd-bus sends for <paramref name="errno"/>.</summary>
    public static string ToErrorName(int errno) => errno switch
    {
        ENOMEM => DBusErrorNames.NoMemory,
        EPERM or EACCES => DBusErrorNames.AccessDenied,
        EINVAL => DBusErrorNames.InvalidArgs,
        ESRCH => DBusErrorNames.UnixProcessIdUnknown,
        ENOENT => DBusErrorNames.FileNotFound,
        EEXIST => DBusErrorNames.FileExists,
        ETIMEDOUT or ETIME => DBusErrorNames.Timeout,
        EIO => DBusErrorNames.IOError,
        ENETRESET or ECONNABORTED or ECONNRESET => DBusErrorNames.Disconnected,
        EOPNOTSUPP => DBusErrorNames.NotSupported,
        EADDRNOTAVAIL => DBusErrorNames.BadAddress,
        ENOBUFS => DBusErrorNames.LimitsExceeded,
        EADDRINUSE => DBusErrorNames.AddressInUse,
        EBADMSG => DBusErrorNames.InconsistentMessage,
        _ => Names.TryGetValue(errno, out var name) ? SystemErrorPrefix + name : DBusErrorNames.Failed,
    };

    /// <summary>The errno an sd-bus client derives from an error name (EIO when it knows none, as sd-bus does).</summary>
    public static int FromErrorName(string errorName)
    {
        if (StandardNames.TryGetValue(errorName, out var standard))
        {
            return standard;
        }

        if (errorName.StartsWith(SystemErrorPrefix, StringComparison.Ordinal)
            && Numbers.TryGetValue(errorName[SystemErrorPrefix.Length..], out var number))
        {
            return number;
        }

        return EIO;
    }
}
