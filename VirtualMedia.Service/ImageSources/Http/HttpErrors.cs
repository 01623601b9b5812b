using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using VirtualMedia.Nbd;

namespace VirtualMedia.Service.ImageSources.Http;

/// <summary>Turns HTTP statuses and transport failures into errno-carrying, credential-free errors.</summary>
internal static class HttpErrors
{
    public static ImageSourceException FromStatus(HttpStatusCode status, string url) => (int)status switch
    {
        401 or 403 => new ImageSourceException(Errno.EACCES, $"{url}: access denied (HTTP {(int)status})"),
        404 or 410 => new ImageSourceException(Errno.ENOENT, $"{url}: not found (HTTP {(int)status})"),
        _ => new ImageSourceException(Errno.EIO, $"{url}: HTTP {(int)status} {status}"),
    };

    /// <summary>Classifies a failure of HttpClient; the message names the redacted URL only.</summary>
    public static ImageSourceException FromException(Exception exception, string url)
    {
        if (exception is ImageSourceException known)
        {
            return known;
        }

        if (FindInner<AuthenticationException>(exception) is not null)
        {
            return new ImageSourceException(Errno.EACCES, $"{url}: TLS handshake failed (certificate not trusted?)", exception);
        }

        var socket = FindInner<SocketException>(exception);
        var errno = socket?.SocketErrorCode switch
        {
            SocketError.ConnectionRefused => Errno.ECONNREFUSED,
            SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.HostNotFound
                or SocketError.NoData or SocketError.TryAgain => Errno.EHOSTUNREACH,
            SocketError.TimedOut => Errno.ETIMEDOUT,
            _ => Errno.EIO,
        };
        var what = errno switch
        {
            Errno.ECONNREFUSED => "connection refused",
            Errno.EHOSTUNREACH => "host unreachable",
            Errno.ETIMEDOUT => "timed out",
            _ => "I/O error",
        };
        return new ImageSourceException(errno, $"{url}: {what}", exception);
    }

    /// <summary>True for failures of an open source worth retrying: broken connections and TLS handshakes, timeouts,
    /// 5xx, 408/429. A handshake fails too when a dying server cuts it; the certificate was trusted at open, and one
    /// that really changed fails the source at the end of its outage budget.</summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        TransientHttpStatusException => true,
        ImageSourceException => false,
        HttpRequestException or IOException or TimeoutException => true,
        _ => false,
    };

    private static T? FindInner<T>(Exception? exception)
        where T : Exception
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is T found)
            {
                return found;
            }
        }

        return null;
    }
}

/// <summary>A status that may go away on retry (5xx, 408, 429).</summary>
internal sealed class TransientHttpStatusException : IOException
{
    public TransientHttpStatusException(string message)
        : base(message)
    {
    }

    public TransientHttpStatusException()
    {
    }

    public TransientHttpStatusException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
