using System.Globalization;
using System.Net;
using System.Text;
using VirtualMedia.Nbd;
using VirtualMedia.Service.Errors;
using VirtualMedia.Service.Urls;

namespace VirtualMedia.Service.Shares;

/// <summary>Builds the CIFS mount attempts for an <c>smb://</c> image: SMB 3.1.1, then SMB 3.0, both sealed.</summary>
/// <remarks>
/// mount(2) gets the options the mount.cifs helper would have produced: the server address is
/// resolved here (the kernel cannot resolve names without an upcall helper), and the password goes
/// into the option string, where the kernel's parser reads a doubled comma as a literal one.
/// A guest session has no session key, so it cannot be sealed: guest mounts are signed-off
/// anonymous sessions and are the only ones without <c>seal</c>.
/// </remarks>
internal static class CifsMountOptions
{
    /// <summary>The dialects tried, newest first.</summary>
    public static readonly IReadOnlyList<string> Dialects = ["3.1.1", "3.0"];

    // The kernel rejects longer names (CIFS_MAX_USERNAME_LEN, CIFS_MAX_DOMAINNAME_LEN).
    private const int MaxUserLength = 256;
    private const int MaxDomainLength = 255;

    /// <summary>One attempt per dialect; the caller disposes them (they may hold the password).</summary>
    public static IReadOnlyList<MountAttempt> Attempts(SmbUrl url, IPAddress address, ShareCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(address);
        var (domain, user) = SplitUser(credentials.User);
        return Dialects.Select(dialect => Build(url, address, domain, user, credentials, dialect)).ToList();
    }

    /// <summary>Splits <c>DOMAIN\user</c> or <c>DOMAIN/user</c>; refuses (EINVAL) what the option syntax cannot carry.</summary>
    public static (string? Domain, string User) SplitUser(string user)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (user.Any(c => c == ',' || char.IsControl(c)))
        {
            throw new MediaException(Errno.EINVAL, "the user name must not contain a comma or a control character");
        }

        var separator = user.IndexOfAny(['\\', '/']);
        var domain = separator < 0 ? null : user[..separator];
        var name = separator < 0 ? user : user[(separator + 1)..];
        if (domain is not null && (domain.Length == 0 || domain.Length > MaxDomainLength || name.IndexOfAny(['\\', '/']) >= 0))
        {
            throw new MediaException(Errno.EINVAL, "the user name must be 'user', 'DOMAIN\\user' or 'DOMAIN/user'");
        }

        if (Encoding.UTF8.GetByteCount(name) > MaxUserLength)
        {
            throw new MediaException(Errno.EINVAL, $"the user name is longer than {MaxUserLength} bytes");
        }

        return (domain, name);
    }

    private static MountAttempt Build(SmbUrl url, IPAddress address, string? domain, string user, ShareCredentials credentials, string dialect)
    {
        var data = new MountData()
            .Option("vers", dialect)
            .Option("ip", address.ToString());
        if (url.Port is { } port)
        {
            data.Option("port", port.ToString(CultureInfo.InvariantCulture));
        }

        // Root owns everything under the mount; nothing else on the BMC needs to read it.
        data.Option("uid", "0").Option("gid", "0").Option("file_mode", "0600").Option("dir_mode", "0700");
        var protocol = $"SMB {dialect}";
        if (credentials.IsGuest)
        {
            // An empty user name is the kernel's anonymous (null) session.
            data.Option("username", string.Empty);
            protocol += " guest";
        }
        else
        {
            data.Flag("seal").Option("username", user);
            if (domain is not null)
            {
                data.Option("domain", domain);
            }

            data.CommaEscapedSecret("password", credentials.Password.Span);
            protocol += " sealed";
        }

        return new MountAttempt("cifs", url.MountSource, protocol, data);
    }
}
