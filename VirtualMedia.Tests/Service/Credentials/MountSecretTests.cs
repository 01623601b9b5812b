using System.Text;
using Microsoft.Win32.SafeHandles;
using VirtualMedia.Nbd;
using VirtualMedia.Service.Credentials;
using VirtualMedia.Service.Errors;
using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.Service.Credentials;

public sealed class MountSecretTests
{
    [Test]
    public void User_and_password_are_split_at_the_NULs()
    {
        using var secret = MountSecret.Parse("admin\0pä,ss\0"u8);

        secret.User.Should().Be("admin");
        Encoding.UTF8.GetString(secret.Password).Should().Be("pä,ss");
        secret.IsEmpty.Should().BeFalse();
    }

    [Test]
    public void Two_empty_strings_are_no_credentials()
    {
        using var secret = MountSecret.Parse("\0\0"u8);

        secret.IsEmpty.Should().BeTrue();
        secret.User.Should().BeEmpty();
        secret.Password.Length.Should().Be(0);
        MountSecret.None.IsEmpty.Should().BeTrue();
    }

    [TestCase("")]
    [TestCase("user")]
    [TestCase("user\0")]
    [TestCase("user\0pass")]
    [TestCase("user\0pass\0extra")]
    [TestCase("user\0pass\0\0")]
    [TestCase("a\0b\0c\0")]
    public void Anything_but_two_terminated_strings_is_EINVAL(string text)
    {
        var act = () => MountSecret.Parse(Encoding.UTF8.GetBytes(text));

        act.Should().Throw<MediaException>().Which.Errno.Should().Be(Errno.EINVAL);
    }

    [Test]
    public void Invalid_UTF8_is_EINVAL()
    {
        var act = () => MountSecret.Parse([0xff, 0xfe, 0, 0x41, 0]);

        act.Should().Throw<MediaException>().Which.Errno.Should().Be(Errno.EINVAL);
    }

    [Test]
    public void At_most_1024_bytes_are_accepted()
    {
        var longest = Encoding.UTF8.GetBytes(new string('u', 500) + "\0" + new string('p', 522) + "\0");
        longest.Should().HaveCount(1024);
        using (MountSecret.Parse(longest))
        {
        }

        var tooLong = Encoding.UTF8.GetBytes(new string('u', 500) + "\0" + new string('p', 523) + "\0");
        var act = () => MountSecret.Parse(tooLong);
        act.Should().Throw<MediaException>().Which.Message.Should().Contain("1024");
    }

    [Test]
    public void Dispose_wipes_the_password()
    {
        var secret = MountSecret.Parse("u\0secret\0"u8);
        secret.Dispose();

        secret.Password.ToArray().Should().OnlyContain(b => b == 0);
    }

    [Test]
    public async Task A_closed_pipe_holding_the_secret_is_read()
    {
        using var pipe = SecretPipe.Holding("user", "pass");

        using var secret = await MountSecret.ReadAsync(AsFile(pipe), TimeSpan.FromSeconds(5), CancellationToken.None);

        secret.User.Should().Be("user");
        Encoding.UTF8.GetString(secret.Password).Should().Be("pass");
    }

    [Test]
    public async Task A_pipe_written_after_the_call_began_is_still_read()
    {
        using var pipe = new SecretPipe();
        var reading = MountSecret.ReadAsync(AsFile(pipe), TimeSpan.FromSeconds(5), CancellationToken.None);
        await Task.Delay(300);
        pipe.Write("late\0\0"u8.ToArray());
        pipe.CloseWriteEnd();

        using var secret = await reading;
        secret.User.Should().Be("late");
    }

    [Test]
    public async Task A_pipe_whose_writer_stays_open_is_read_up_to_the_second_NUL()
    {
        // bmcweb before Feb 2025 closes its write end only when Mount's reply has arrived.
        using var pipe = new SecretPipe();
        pipe.Write("user\0pass\0"u8.ToArray());

        using var secret = await MountSecret.ReadAsync(AsFile(pipe), TimeSpan.FromSeconds(60), CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(10));

        secret.User.Should().Be("user");
        Encoding.UTF8.GetString(secret.Password).Should().Be("pass");
    }

    [Test]
    public async Task A_secret_arriving_in_pieces_is_put_together()
    {
        using var pipe = new SecretPipe();
        var reading = MountSecret.ReadAsync(AsFile(pipe), TimeSpan.FromSeconds(60), CancellationToken.None);
        foreach (var piece in new[] { "ad", "min\0p", "ä", ",ss" })
        {
            pipe.Write(Encoding.UTF8.GetBytes(piece));
            await Task.Delay(50);
            reading.IsCompleted.Should().BeFalse("the secret is complete only at its second NUL");
        }

        pipe.Write("\0"u8.ToArray());

        using var secret = await reading.WaitAsync(TimeSpan.FromSeconds(10));
        secret.User.Should().Be("admin");
        Encoding.UTF8.GetString(secret.Password).Should().Be("pä,ss");
    }

    [Test]
    public async Task A_missing_second_NUL_is_EINVAL_at_the_deadline()
    {
        using var pipe = new SecretPipe();
        pipe.Write("user\0pass"u8.ToArray());

        var act = () => MountSecret.ReadAsync(AsFile(pipe), TimeSpan.FromMilliseconds(300), CancellationToken.None);

        (await act.Should().ThrowAsync<MediaException>()).Which.Errno.Should().Be(Errno.EINVAL);
    }

    [TestCase("user\0pass")]
    [TestCase("")]
    public async Task A_missing_second_NUL_is_EINVAL_at_end_of_file(string text)
    {
        using var pipe = SecretPipe.HoldingBytes(Encoding.UTF8.GetBytes(text));

        var act = () => MountSecret.ReadAsync(AsFile(pipe), TimeSpan.FromSeconds(60), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        (await act.Should().ThrowAsync<MediaException>()).Which.Errno.Should().Be(Errno.EINVAL);
    }

    [Test]
    public async Task Bytes_after_the_second_NUL_in_the_same_read_are_EINVAL()
    {
        using var pipe = new SecretPipe();
        pipe.Write("user\0pass\0extra"u8.ToArray());

        var act = () => MountSecret.ReadAsync(AsFile(pipe), TimeSpan.FromSeconds(60), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        (await act.Should().ThrowAsync<MediaException>()).Which.Errno.Should().Be(Errno.EINVAL);
    }

    [Test]
    public async Task More_than_1024_bytes_without_a_second_NUL_are_EINVAL_while_the_writer_stays_open()
    {
        using var pipe = new SecretPipe();
        pipe.Write(Encoding.UTF8.GetBytes("user\0" + new string('p', 2000)));

        var act = () => MountSecret.ReadAsync(AsFile(pipe), TimeSpan.FromSeconds(60), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        (await act.Should().ThrowAsync<MediaException>()).Which.Message.Should().Contain("1024");
    }

    [Test]
    public async Task A_pipe_with_more_than_1024_bytes_is_EINVAL()
    {
        using var pipe = SecretPipe.HoldingBytes(new byte[4000]);

        var act = () => MountSecret.ReadAsync(AsFile(pipe), TimeSpan.FromSeconds(5), CancellationToken.None);

        (await act.Should().ThrowAsync<MediaException>()).Which.Errno.Should().Be(Errno.EINVAL);
    }

    private static SafeFileHandle AsFile(SecretPipe pipe) => pipe.ReadEnd;
}
