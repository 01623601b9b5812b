using System.Buffers.Binary;
using VirtualMedia.DBus;

namespace VirtualMedia.Tests.DBus;

/// <summary>Every malformed input is refused with a <see cref="DBusProtocolException"/>, never read past its end.</summary>
public sealed class ValidationTests
{
    private const int HeaderFieldsOffset = 16;

    public static IEnumerable<TestCaseData> MalformedBodies()
    {
        yield return Body("boolean 2", "b", "02000000");
        yield return Body("non-zero padding", "yi", "01ff0000" + "05000000");
        yield return Body("invalid UTF-8", "s", "02000000" + "c328" + "00");
        yield return Body("NUL inside a string", "s", "03000000" + "610062" + "00");
        yield return Body("string without NUL terminator", "s", "01000000" + "61" + "62");
        yield return Body("string length past the end", "s", "ff000000" + "6100");
        yield return Body("object path syntax", "o", "02000000" + "2f2f" + "00");
        yield return Body("signature syntax", "g", "01" + "61" + "00");
        yield return Body("variant holding two types", "v", "02" + "6969" + "00" + "0000000000000000");
        yield return Body("variant holding nothing", "v", "00" + "00");
        yield return Body("array length past the end", "ai", "10000000" + "01000000");
        yield return Body("array length not a multiple of its elements", "ai", "03000000" + "010000");
        yield return Body("array over 64 MiB", "ay", "01000004");
        yield return Body("bytes after the last value", "y", "01" + "02");
        yield return Body("fewer bytes than the signature", "u", "0100");
        yield return Body("unix fd index without fds", "h", "00000000");
        yield return Body("variants nested past the limit", "v", string.Concat(Enumerable.Repeat("017600", 70)) + "0179" + "0000");
    }

    [TestCaseSource(nameof(MalformedBodies))]
    public void Malformed_bodies_are_refused(string signature, string hex)
    {
        using var body = MessageBody.Create(signature);
        body.WriteRaw(Convert.FromHexString(hex), 1);
        var bytes = WireMessages.MethodCall(body);

        FluentActions.Invoking(() => WireMessages.Parse(bytes)).Should().Throw<DBusProtocolException>();
    }

    [Test]
    public void A_well_formed_message_is_accepted_so_the_cases_above_test_one_fault_each()
    {
        using var body = MessageBody.Create("yisv");
        body.WriteByte(1);
        body.WriteInt32(2);
        body.WriteString("ok");
        body.WriteVariantSignature("ai");
        var array = body.WriteArrayStart('i');
        body.WriteInt32(3);
        body.WriteArrayEnd(array);

        using var message = WireMessages.Parse(WireMessages.MethodCall(body));

        message.Member.Should().Be("M");
        message.Path.Should().Be("/a");
    }

    [TestCase(0, (byte)'x', TestName = "Unknown endianness byte")]
    [TestCase(3, (byte)2, TestName = "Protocol version 2")]
    [TestCase(8, (byte)0, TestName = "Serial 0")]
    [TestCase(HeaderFieldsOffset + 2, (byte)'s', TestName = "PATH header field typed as a string")]
    [TestCase(HeaderFieldsOffset + 8 + 1, (byte)'/', TestName = "PATH header field with bad syntax")]
    [TestCase(HeaderFieldsOffset + 16, (byte)10, TestName = "MEMBER turned into an unknown field: a call without MEMBER")]
    [TestCase(HeaderFieldsOffset + 24, (byte)'.', TestName = "MEMBER name with a dot")]
    [TestCase(HeaderFieldsOffset + 27, (byte)1, TestName = "Non-zero padding after the header")]
    [TestCase(HeaderFieldsOffset + 13, (byte)1, TestName = "Non-zero padding between header fields")]
    public void Malformed_headers_are_refused(int offset, byte value)
    {
        // Layout of the call: PATH field at 16 ("/a" at 24), MEMBER field at 32 ("M" at 40), body at 48.
        var bytes = WireMessages.MethodCall(null);
        if (offset == 8)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), 0);
        }
        else
        {
            bytes[offset] = value;
        }

        FluentActions.Invoking(() => WireMessages.Parse(bytes)).Should().Throw<DBusProtocolException>();
    }

    [Test]
    public void An_unknown_header_field_is_skipped_not_refused()
    {
        var bytes = WireMessages.MethodCall(null);
        bytes[HeaderFieldsOffset + 16] = 10;

        // Field 10 is skipped; what fails is the missing MEMBER it replaced.
        FluentActions.Invoking(() => WireMessages.Parse(bytes)).Should().Throw<DBusProtocolException>().WithMessage("*needs PATH and MEMBER*");
    }

    [TestCase((byte)33, TestName = "Unknown header field 33 before PATH (33 mod 32 is PATH's code)")]
    [TestCase((byte)35, TestName = "Unknown header field 35 before MEMBER (35 mod 32 is MEMBER's code)")]
    [TestCase((byte)255, TestName = "Unknown header field 255")]
    public void An_unknown_header_field_does_not_count_as_a_known_one(byte code)
    {
        var call = WireMessages.MethodCall(null);
        byte[] unknown = [code, 1, (byte)'y', 0, 7, 0, 0, 0];
        var bytes = new byte[call.Length + unknown.Length];
        call.AsSpan(0, HeaderFieldsOffset).CopyTo(bytes);
        unknown.CopyTo(bytes, HeaderFieldsOffset);
        call.AsSpan(HeaderFieldsOffset).CopyTo(bytes.AsSpan(HeaderFieldsOffset + unknown.Length));
        var fieldsLength = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(12));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(12), fieldsLength + (uint)unknown.Length);

        using var message = WireMessages.Parse(bytes);

        message.Path.Should().Be("/a");
        message.Member.Should().Be("M");
    }

    [Test]
    public void A_message_over_the_specification_limit_is_refused_before_its_body_is_read()
    {
        var bytes = WireMessages.MethodCall(null);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), 200 * 1024 * 1024);

        FluentActions.Invoking(() => MessageParser.ReadFrame(bytes.AsSpan(0, 16)))
            .Should().Throw<DBusProtocolException>().WithMessage("*exceeds*");
    }

    [Test]
    public void A_message_claiming_more_fds_than_arrived_is_refused()
    {
        using var pipe = UnixPipe.WithContent(string.Empty);
        using var body = MessageBody.Create("h");
        body.WriteUnixFd(pipe);

        FluentActions.Invoking(() => WireMessages.Parse(WireMessages.MethodCall(body), fdCount: 0)).Should().Throw<DBusProtocolException>();
    }

    private static TestCaseData Body(string name, string signature, string hex) =>
        new TestCaseData(signature, hex).SetName("Malformed body: " + name);
}
