namespace VirtualMedia.Fuzz.Harness;

/// <summary>afl-style byte mutations from a seeded generator: the quick, deterministic stand-in for afl that CI runs.</summary>
/// <remarks>Not coverage-guided: it explores around the corpus (flips, interesting values, cuts, splices), which finds
/// shallow regressions in seconds; the deep search is afl's, on demand (fuzz/run).</remarks>
public sealed class Mutator
{
    private const int MaxLength = 64 * 1024;

    private static readonly long[] Interesting =
        [0, 1, -1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, int.MaxValue, int.MinValue, uint.MaxValue, 4096, 1 << 25, long.MaxValue];

    private readonly Random _random;
    private readonly IReadOnlyList<byte[]> _corpus;

    public Mutator(IReadOnlyList<byte[]> corpus, int seed)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentOutOfRangeException.ThrowIfZero(corpus.Count);
        _corpus = corpus;
        _random = new Random(seed);
    }

    /// <summary>A corpus entry with one to eight stacked mutations.</summary>
    public byte[] Next()
    {
        var data = new List<byte>(_corpus[_random.Next(_corpus.Count)]);
        for (var stacked = 1 << _random.Next(4); stacked > 0; stacked--)
        {
            Mutate(data);
        }

        return data.Count > MaxLength ? data.GetRange(0, MaxLength).ToArray() : data.ToArray();
    }

    private void Mutate(List<byte> data)
    {
        if (data.Count == 0)
        {
            data.Add((byte)_random.Next(256));
            return;
        }

        var at = _random.Next(data.Count);
        switch (_random.Next(7))
        {
            case 0:
                data[at] ^= (byte)(1 << _random.Next(8));
                break;
            case 1:
                data[at] = (byte)_random.Next(256);
                break;
            case 2:
                WriteInteresting(data, at);
                break;
            case 3:
                data.RemoveRange(at, Math.Min(data.Count - at, 1 + _random.Next(16)));
                break;
            case 4:
                var length = Math.Min(data.Count - at, 1 + _random.Next(32));
                data.InsertRange(_random.Next(data.Count + 1), data.GetRange(at, length));
                break;
            case 5:
                var other = _corpus[_random.Next(_corpus.Count)];
                var from = _random.Next(other.Length + 1);
                data.RemoveRange(at, data.Count - at);
                data.AddRange(other.AsSpan(from).ToArray());
                break;
            default:
                data[at] = (byte)(data[at] + _random.Next(-8, 9));
                break;
        }
    }

    /// <summary>An interesting value of 1, 2, 4 or 8 bytes, in either byte order (D-Bus has both; NBD is big-endian).</summary>
    private void WriteInteresting(List<byte> data, int at)
    {
        var value = Interesting[_random.Next(Interesting.Length)];
        var size = 1 << _random.Next(4);
        var bigEndian = _random.Next(2) == 0;
        for (var i = 0; i < size && at + i < data.Count; i++)
        {
            var shift = 8 * (bigEndian ? size - 1 - i : i);
            data[at + i] = (byte)(value >> shift);
        }
    }
}
