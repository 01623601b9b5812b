namespace VirtualMedia.DBus;

/// <summary>A method handler threw something other than a <see cref="DBusErrorException"/>; the caller got <c>org.freedesktop.DBus.Error.Failed</c>.</summary>
public sealed class HandlerFailedEventArgs : EventArgs
{
    internal HandlerFailedEventArgs(string path, string? interfaceName, string member, Exception exception)
    {
        Path = path;
        Interface = interfaceName;
        Member = member;
        Exception = exception;
    }

    /// <summary>The object path called.</summary>
    public string Path { get; }

    /// <summary>The interface called, when the caller named one.</summary>
    public string? Interface { get; }

    /// <summary>The method called.</summary>
    public string Member { get; }

    /// <summary>What the handler threw.</summary>
    public Exception Exception { get; }
}
