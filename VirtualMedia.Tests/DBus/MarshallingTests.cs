using VirtualMedia.DBus;

namespace VirtualMedia.Tests.DBus;

/// <summary>Byte-exact marshalling of every type in both byte orders, and back.</summary>
public sealed class MarshallingTests
{
    public static IEnumerable<TestCaseData> Cases()
    {
        object[][] cases =
        [
            ["y", (byte)0x2a, "2a", "2a"],
            ["b", true, "01000000", "00000001"],
            ["b", false, "00000000", "00000000"],
            ["n", (short)-2, "feff", "fffe"],
            ["q", (ushort)0x1234, "3412", "1234"],
            ["i", -2, "feffffff", "fffffffe"],
            ["u", 0x12345678u, "78563412", "12345678"],
            ["x", -2L, "feffffffffffffff", "fffffffffffffffe"],
            ["t", 0x0102030405060708UL, "0807060504030201", "0102030405060708"],
            ["d", 1.0, "000000000000f03f", "3ff0000000000000"],
            ["s", "ab", "02000000616200", "00000002616200"],
            ["s", "ü", "02000000c3bc00", "00000002c3bc00"],
            ["s", string.Empty, "0000000000", "0000000000"],
            ["o", "/a", "020000002f6100", "000000022f6100"],
            ["g", "ai", "02616900", "02616900"],
            ["v", new DBusVariant("i", 5), "0169000005000000", "0169000000000005"],
            ["v", new DBusVariant("s", "x"), "017300000100000078" + "00", "017300000000000178" + "00"],
            ["ai", new object[] { 1, 2 }, "080000000100000002000000", "000000080000000100000002"],
            ["at", new object[] { 1UL }, "08000000" + "00000000" + "0100000000000000", "00000008" + "00000000" + "0000000000000001"],
            ["a(i)", Array.Empty<object>(), "00000000" + "00000000", "00000000" + "00000000"],
            ["a{sy}", new Dictionary<object, object> { ["k"] = (byte)7 }, "07000000" + "00000000" + "01000000" + "6b00" + "07", "00000007" + "00000000" + "00000001" + "6b00" + "07"],
            ["(yi)", new object[] { (byte)1, 2 }, "01000000" + "02000000", "01000000" + "00000002"],
            ["(yx)", new object[] { (byte)1, 2L }, "01" + "00000000000000" + "0200000000000000", "01" + "00000000000000" + "0000000000000002"],
            ["ay", new object[] { (byte)1, (byte)2 }, "02000000" + "0102", "00000002" + "0102"],
        ];
        foreach (var c in cases)
        {
            yield return new TestCaseData(c[0], c[1], c[2], false).SetArgDisplayNames((string)c[0], c[2].ToString()!, "LE");
            yield return new TestCaseData(c[0], c[1], c[3], true).SetArgDisplayNames((string)c[0], c[3].ToString()!, "BE");
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void Values_marshal_byte_exact_and_read_back(string signature, object value, string expectedHex, bool bigEndian)
    {
        using var body = MessageBody.Create(signature, bigEndian);
        DBusValue.Write(body, signature, value);

        Convert.ToHexStringLower(body.Span).Should().Be(expectedHex);

        using var message = WireMessages.Parse(WireMessages.MethodCall(body));
        message.IsBigEndian.Should().Be(bigEndian);
        message.Signature.Should().Be(signature);
        var reader = message.GetReader();
        reader.ReadValue(signature).Should().BeEquivalentTo(value, o => o.RespectingRuntimeTypes());
        reader.AtEnd.Should().BeTrue();
    }

    [TestCase(false, "6c")]
    [TestCase(true, "42")]
    public void Unix_fd_is_an_index_and_the_header_counts_the_fds(bool bigEndian, string endianByte)
    {
        using var pipe = UnixPipe.WithContent("x");
        using var body = MessageBody.Create("h", bigEndian);
        body.WriteUnixFd(pipe);

        var bytes = WireMessages.MethodCall(body);

        var u32 = (uint v) => bigEndian ? v.ToString("x8") : Convert.ToHexStringLower(BitConverter.GetBytes(v));
        Convert.ToHexStringLower(bytes).Should().Be(
            endianByte + "010001" + u32(4) + u32(1) + u32(0x30)
            + "01016f00" + u32(2) + "2f610000" + "00000000"
            + "03017300" + u32(1) + "4d000000" + "00000000"
            + "08016700" + "01680000"
            + "09017500" + u32(1)
            + u32(0));
        using var message = WireMessages.Parse(bytes, fdCount: 1);
        message.UnixFdCount.Should().Be(1);
        using var fd = message.GetReader().ReadUnixFd();
        fd.IsInvalid.Should().BeFalse();
    }

    [Test]
    public void Reading_out_of_signature_order_throws_instead_of_overrunning()
    {
        using var body = MessageBody.Create("y");
        body.WriteByte(1);
        using var message = WireMessages.Parse(WireMessages.MethodCall(body));
        var reader = message.GetReader();

        FluentActions.Invoking(() => reader.ReadUInt64()).Should().Throw<InvalidOperationException>();
    }

    [Test]
    public void Writers_refuse_values_the_wire_cannot_carry()
    {
        using var body = MessageBody.Create("s");

        FluentActions.Invoking(() => body.WriteString("a\0b")).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => body.WriteObjectPath("/a/")).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => body.WriteSignature("a")).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => body.WriteVariantSignature("ii")).Should().Throw<ArgumentException>();
    }

    [TestCase("", true)]
    [TestCase("a{sv}", true)]
    [TestCase("(i(yy)a(ss))", true)]
    [TestCase("a", false)]
    [TestCase("()", false)]
    [TestCase("{sv}", false)]
    [TestCase("a{vs}", false)]
    [TestCase("a{sii}", false)]
    [TestCase("(i", false)]
    [TestCase("z", false)]
    public void Signature_syntax(string signature, bool valid)
    {
        Signature.IsValid(signature).Should().Be(valid);
    }

    [Test]
    public void Signature_nesting_limits()
    {
        Signature.IsValid(new string('a', 32) + "i").Should().BeTrue();
        Signature.IsValid(new string('a', 33) + "i").Should().BeFalse();
        Signature.IsValid(new string('(', 32) + "i" + new string(')', 32)).Should().BeTrue();
        Signature.IsValid(new string('(', 33) + "i" + new string(')', 33)).Should().BeFalse();
    }

    [TestCase("/", true)]
    [TestCase("/a/b_C9", true)]
    [TestCase("", false)]
    [TestCase("a", false)]
    [TestCase("/a/", false)]
    [TestCase("//a", false)]
    [TestCase("/a-b", false)]
    public void Object_path_syntax(string path, bool valid)
    {
        ObjectPath.IsValid(path).Should().Be(valid);
    }
}
