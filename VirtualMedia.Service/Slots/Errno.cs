namespace VirtualMedia.Service.Slots;

/// <summary>The Linux errno values the service reports in Completion and D-Bus errors.</summary>
public static class Errno
{
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int EIO = 5;
    public const int EACCES = 13;
    public const int EBUSY = 16;
    public const int EINVAL = 22;
    public const int ENOTSUP = 95;
    public const int ETIMEDOUT = 110;
}
