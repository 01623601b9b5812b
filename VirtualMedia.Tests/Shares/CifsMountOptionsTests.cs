using System.Net;
using System.Text;
using VirtualMedia.Nbd;
using VirtualMedia.Service.Errors;
using VirtualMedia.Service.Shares;
using VirtualMedia.Service.Urls;

namespace VirtualMedia.Tests.Shares;

public sealed class CifsMountOptionsTests
{
    private static readonly SmbUrl Url = (SmbUrl)ShareUrl.Parse("smb://files:1445/isos/a.iso");

    [Test]
    public void Tries_smb_3_1_1_then_3_0_both_sealed_with_the_resolved_address()
    {
        var attempts = Build("alice", "pw");

        attempts.Select(a => a.Protocol).Should().Equal("SMB 3.1.1 sealed", "SMB 3.0 sealed");
        attempts.Should().AllSatisfy(a =>
        {
            a.FileSystemType.Should().Be("cifs");
            a.Source.Should().Be("//files/isos");
        });
        attempts[0].Data.Redacted.Should().Be(
            "vers=3.1.1,ip=192.0.2.7,port=1445,uid=0,gid=0,file_mode=0600,dir_mode=0700,seal,username=alice,password=***");
        attempts[1].Data.Redacted.Should().StartWith("vers=3.0,");
        Dispose(attempts);
    }

    [TestCase("pass", "password=pass")]
    [TestCase("a,b", "password=a,,b")]
    [TestCase(",lead", "password=,,lead")]
    [TestCase("trail,", "password=trail,,")]
    [TestCase("x,,y", "password=x,,,,y")]
    [TestCase("pässwörd=1 2", "password=pässwörd=1 2")]
    public void Commas_in_the_password_are_doubled_and_nothing_else_changes(string password, string expected)
    {
        var attempts = Build("alice", password);

        Text(attempts[0]).Should().EndWith("username=alice," + expected);
        Dispose(attempts);
    }

    [Test]
    public void Doubled_commas_parse_back_to_the_password_as_the_kernel_reads_them()
    {
        const string Password = "a,b,,c,";
        var attempts = Build("alice", Password);

        KernelCifsParse(Text(attempts[0]))["password"].Should().Be(Password);
        Dispose(attempts);
    }

    [Test]
    public void Domain_prefixes_become_the_domain_option()
    {
        var backslash = Build(@"CORP\alice", "pw");
        var slash = Build("CORP/alice", "pw");

        backslash[0].Data.Redacted.Should().Contain("username=alice,domain=CORP,password=***");
        slash[0].Data.Redacted.Should().Contain("username=alice,domain=CORP,password=***");
        Dispose(backslash);
        Dispose(slash);
    }

    [TestCase("al,ice")]
    [TestCase("alice\n")]
    [TestCase("ali\0ce")]
    [TestCase(@"\alice")]
    [TestCase(@"CORP\sub\alice")]
    public void User_names_the_option_syntax_cannot_carry_are_refused_with_einval(string user)
    {
        var act = () => Build(user, "pw");

        act.Should().Throw<MediaException>().Which.Errno.Should().Be(Errno.EINVAL);
    }

    [Test]
    public void Overlong_user_names_are_refused() =>
        FluentActions.Invoking(() => Build(new string('u', 257), "pw"))
            .Should().Throw<MediaException>().Which.Errno.Should().Be(Errno.EINVAL);

    [Test]
    public void Guest_mounts_use_the_anonymous_session_without_seal_or_password()
    {
        var attempts = CifsMountOptions.Attempts(Url, IPAddress.Parse("192.0.2.7"), ShareCredentials.Guest);

        attempts[0].Protocol.Should().Be("SMB 3.1.1 guest");
        Text(attempts[0]).Should().EndWith("dir_mode=0700,username=").And.NotContain("seal").And.NotContain("password");
        Dispose(attempts);
    }

    [Test]
    public void Disposing_an_attempt_wipes_its_options()
    {
        var attempts = Build("alice", "topsecret");
        var data = attempts[0].Data;
        Text(attempts[0]).Should().Contain("topsecret");

        attempts[0].Dispose();

        data.Bytes.Length.Should().Be(0);
        data.Redacted.Should().NotContain("topsecret");
        Dispose(attempts);
    }

    [Test]
    public void Long_passwords_survive_buffer_growth_intact()
    {
        var password = string.Concat(Enumerable.Repeat("ab,", 200));
        var attempts = Build("alice", password);

        KernelCifsParse(Text(attempts[0]))["password"].Should().Be(password);
        Dispose(attempts);
    }

    private static IReadOnlyList<MountAttempt> Build(string user, string password) =>
        CifsMountOptions.Attempts(Url, IPAddress.Parse("192.0.2.7"), new ShareCredentials(user, Encoding.UTF8.GetBytes(password)));

    private static string Text(MountAttempt attempt) => Encoding.UTF8.GetString(attempt.Data.Bytes);

    private static void Dispose(IEnumerable<MountAttempt> attempts)
    {
        foreach (var attempt in attempts)
        {
            attempt.Dispose();
        }
    }

    // What smb3_fs_context_parse_monolithic does: split at commas, a comma right after a split re-joins it as a literal comma.
    private static Dictionary<string, string> KernelCifsParse(string options)
    {
        var result = new Dictionary<string, string>();
        var position = 0;
        while (position <= options.Length)
        {
            var key = new StringBuilder();
            var end = options.IndexOf(',', position);
            key.Append(end < 0 ? options[position..] : options[position..end]);
            position = end < 0 ? options.Length + 1 : end + 1;
            while (position < options.Length && options[position] == ',')
            {
                var next = options.IndexOf(',', position + 1);
                key.Append(',').Append(next < 0 ? options[(position + 1)..] : options[(position + 1)..next]);
                position = next < 0 ? options.Length + 1 : next + 1;
            }

            var text = key.ToString();
            var equals = text.IndexOf('=', StringComparison.Ordinal);
            result[equals < 0 ? text : text[..equals]] = equals < 0 ? string.Empty : text[(equals + 1)..];
        }

        return result;
    }
}
