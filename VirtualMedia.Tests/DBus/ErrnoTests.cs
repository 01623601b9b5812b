using VirtualMedia.DBus;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.DBus;

/// <summary>Errno error names match sd-bus itself (libsystemd, called through python3 ctypes), both directions.</summary>
public sealed class ErrnoTests
{
    private const string SdBus = """
        import ctypes, sys
        lib = ctypes.CDLL("libsystemd.so.0")
        class Error(ctypes.Structure):
            _fields_ = [("name", ctypes.c_char_p), ("message", ctypes.c_char_p), ("need_free", ctypes.c_int)]
        for n in sys.argv[1].split(","):
            e = Error()
            lib.sd_bus_error_set_errno(ctypes.byref(e), int(n))
            print(n, e.name.decode())
        for name in sys.argv[2].split(","):
            e = Error()
            lib.sd_bus_error_set(ctypes.byref(e), name.encode(), b"x")
            print(name, lib.sd_bus_error_get_errno(ctypes.byref(e)))
        """;

    private static readonly int[] Errnos =
    [
        Errno.EPERM, Errno.ENOENT, Errno.ESRCH, Errno.EIO, Errno.ENXIO, Errno.EAGAIN, Errno.ENOMEM, Errno.EACCES,
        Errno.EBUSY, Errno.EEXIST, Errno.ENODEV, Errno.EINVAL, Errno.ENOSPC, Errno.EROFS, Errno.EPIPE, Errno.ENOSYS,
        Errno.ETIME, Errno.EBADMSG, Errno.EOPNOTSUPP, Errno.ENOTSUP, Errno.EADDRINUSE, Errno.EADDRNOTAVAIL,
        Errno.ECONNRESET, Errno.ENOBUFS, Errno.ETIMEDOUT, Errno.EHOSTUNREACH, Errno.ECANCELED, Errno.ENOMEDIUM, 4095,
    ];

    [Test]
    public async Task Names_built_from_errno_are_the_ones_sd_bus_builds_and_parses_back()
    {
        var python = Require.Tool("/usr/bin/python3");
        string[] names = [.. Errnos.Select(Errno.ToErrorName).Distinct(), "org.example.Unknown"];

        var result = await ExternalProcess.RunAsync(python, ["-c", SdBus, string.Join(',', Errnos), string.Join(',', names)], TimeSpan.FromSeconds(30));

        result.EnsureSuccess("python3 with libsystemd");
        var lines = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')).ToList();
        lines.Take(Errnos.Length).Should().BeEquivalentTo(Errnos.Select(e => new[] { e.ToString(System.Globalization.CultureInfo.InvariantCulture), Errno.ToErrorName(e) }), o => o.WithStrictOrdering());
        lines.Skip(Errnos.Length).Should().BeEquivalentTo(names.Select(n => new[] { n, Errno.FromErrorName(n).ToString(System.Globalization.CultureInfo.InvariantCulture) }), o => o.WithStrictOrdering());
    }

    [Test]
    public void Contract_examples()
    {
        new DBusErrnoException(Errno.EINVAL, "bad URL").ErrorName.Should().Be("org.freedesktop.DBus.Error.InvalidArgs");
        new DBusErrnoException(Errno.EPERM, "active").ErrorName.Should().Be("org.freedesktop.DBus.Error.AccessDenied");
        new DBusErrnoException(Errno.EBUSY, "activating").ErrorName.Should().Be("System.Error.EBUSY");
        new DBusErrnoException(Errno.ENOMEM, "full").ErrorName.Should().Be("org.freedesktop.DBus.Error.NoMemory");
        new DBusErrnoException(Errno.EBUSY, "activating").Errno.Should().Be(Errno.EBUSY);
    }
}
