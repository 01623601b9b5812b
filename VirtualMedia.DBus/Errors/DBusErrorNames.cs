namespace VirtualMedia.DBus;

/// <summary>The standard error names of the D-Bus specification that this library sends or maps.</summary>
public static class DBusErrorNames
{
    public const string Failed = "org.freedesktop.DBus.Error.Failed";
    public const string NoMemory = "org.freedesktop.DBus.Error.NoMemory";
    public const string ServiceUnknown = "org.freedesktop.DBus.Error.ServiceUnknown";
    public const string NameHasNoOwner = "org.freedesktop.DBus.Error.NameHasNoOwner";
    public const string NoReply = "org.freedesktop.DBus.Error.NoReply";
    public const string IOError = "org.freedesktop.DBus.Error.IOError";
    public const string BadAddress = "org.freedesktop.DBus.Error.BadAddress";
    public const string NotSupported = "org.freedesktop.DBus.Error.NotSupported";
    public const string LimitsExceeded = "org.freedesktop.DBus.Error.LimitsExceeded";
    public const string AccessDenied = "org.freedesktop.DBus.Error.AccessDenied";
    public const string AuthFailed = "org.freedesktop.DBus.Error.AuthFailed";
    public const string NoServer = "org.freedesktop.DBus.Error.NoServer";
    public const string Timeout = "org.freedesktop.DBus.Error.Timeout";
    public const string NoNetwork = "org.freedesktop.DBus.Error.NoNetwork";
    public const string AddressInUse = "org.freedesktop.DBus.Error.AddressInUse";
    public const string Disconnected = "org.freedesktop.DBus.Error.Disconnected";
    public const string InvalidArgs = "org.freedesktop.DBus.Error.InvalidArgs";
    public const string FileNotFound = "org.freedesktop.DBus.Error.FileNotFound";
    public const string FileExists = "org.freedesktop.DBus.Error.FileExists";
    public const string UnknownMethod = "org.freedesktop.DBus.Error.UnknownMethod";
    public const string UnknownObject = "org.freedesktop.DBus.Error.UnknownObject";
    public const string UnknownInterface = "org.freedesktop.DBus.Error.UnknownInterface";
    public const string UnknownProperty = "org.freedesktop.DBus.Error.UnknownProperty";
    public const string PropertyReadOnly = "org.freedesktop.DBus.Error.PropertyReadOnly";
    public const string UnixProcessIdUnknown = "org.freedesktop.DBus.Error.UnixProcessIdUnknown";
    public const string InvalidSignature = "org.freedesktop.DBus.Error.InvalidSignature";
    public const string InconsistentMessage = "org.freedesktop.DBus.Error.InconsistentMessage";
    public const string TimedOut = "org.freedesktop.DBus.Error.TimedOut";
    public const string MatchRuleInvalid = "org.freedesktop.DBus.Error.MatchRuleInvalid";
    public const string MatchRuleNotFound = "org.freedesktop.DBus.Error.MatchRuleNotFound";
    public const string ObjectPathInUse = "org.freedesktop.DBus.Error.ObjectPathInUse";
}
