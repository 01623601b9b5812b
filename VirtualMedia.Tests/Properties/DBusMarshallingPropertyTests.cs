using CsCheck;
using VirtualMedia.DBus;
using VirtualMedia.Tests.DBus;

namespace VirtualMedia.Tests.Properties;

/// <summary>Every D-Bus signature type round-trips through our marshalling: write, parse and validate the whole message
/// as received, read back equal, and write the read value to the same bytes — in both byte orders.</summary>
[TestFixture]
public sealed class DBusMarshallingPropertyTests
{
    [Test]
    public void EveryBasicTypeAndVariantRoundTrips() => Check(DBusValueGenerators.Typed(0), iterations: 3000);

    [Test]
    public void NestedArraysDictsStructsAndVariantsRoundTrip() => Check(DBusValueGenerators.Typed(3), iterations: 2000);

    [Test]
    public void SeveralValuesInOneBodyRoundTrip() =>
        DBusValueGenerators.Typed(2).Array[1, 4].Select(Gen.Bool, (values, bigEndian) => (values, bigEndian)).Sample(
            sample => RoundTrip(sample.values, sample.bigEndian),
            iter: 1000,
            print: sample => string.Join(" ", sample.values.Select(v => v.Signature + "=" + DBusValueGenerators.Show(v.Value))));

    private static void Check(Gen<(string Signature, object Value)> typed, int iterations) =>
        typed.Select(Gen.Bool, (value, bigEndian) => (value, bigEndian)).Sample(
            sample => RoundTrip([sample.value], sample.bigEndian),
            iter: iterations,
            print: sample => $"{sample.value.Signature} {DBusValueGenerators.Show(sample.value.Value)} big-endian={sample.bigEndian}");

    private static void RoundTrip((string Signature, object Value)[] values, bool bigEndian)
    {
        var signature = string.Concat(values.Select(v => v.Signature));
        using var body = Body(values, signature, bigEndian);
        var written = body.Span.ToArray();

        using var message = WireMessages.Parse(WireMessages.MethodCall(body));
        message.Signature.Should().Be(signature);
        var reader = message.GetReader();
        var read = values.Select(v => (v.Signature, Value: reader.ReadValue(v.Signature))).ToArray();
        reader.AtEnd.Should().BeTrue();

        read.Select(v => v.Value).Should().BeEquivalentTo(
            values.Select(v => v.Value), options => options.RespectingRuntimeTypes().ComparingRecordsByMembers().WithStrictOrdering().AllowingInfiniteRecursion());
        using var again = Body(read, signature, bigEndian);
        again.Span.ToArray().Should().Equal(written, "what is read writes back to the same bytes");
    }

    private static MessageBody Body((string Signature, object Value)[] values, string signature, bool bigEndian)
    {
        var body = MessageBody.Create(signature, bigEndian);
        foreach (var (type, value) in values)
        {
            DBusValue.Write(body, type, value);
        }

        return body;
    }
}
