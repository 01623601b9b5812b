using System.Security.Cryptography;
using System.Text;

namespace VirtualMedia.Service.Shares;

/// <summary>
/// The comma-separated option string handed to mount(2), built as NUL-terminated bytes so that a
/// password in it can be wiped after the call (a string could not be).
/// </summary>
internal sealed class MountData : IDisposable
{
    private byte[] _buffer = new byte[256];
    private int _length;
    private int _secretStart = -1;
    private int _secretEnd = -1;

    /// <summary>The options without the terminating NUL.</summary>
    public ReadOnlySpan<byte> Bytes => _buffer.AsSpan(0, _length);

    /// <summary>The options with the secret replaced by <c>***</c>, for logs and tests of everything else.</summary>
    public string Redacted
    {
        get
        {
            if (_secretStart < 0)
            {
                return Encoding.UTF8.GetString(Bytes);
            }

            return Encoding.UTF8.GetString(_buffer, 0, _secretStart) + "***"
                + Encoding.UTF8.GetString(_buffer, _secretEnd, _length - _secretEnd);
        }
    }

    /// <summary>Appends a flag option such as <c>ro</c> or <c>seal</c>.</summary>
    public MountData Flag(string name) => Separator().Utf8(name);

    /// <summary>Appends <c>name=value</c>; the caller has checked that the value holds no separator.</summary>
    public MountData Option(string name, string value) => Separator().Utf8(name).Utf8("=").Utf8(value);

    /// <summary>Appends <c>name=secret</c>, doubling every comma as the CIFS option parser expects and remembering where the secret is.</summary>
    public MountData CommaEscapedSecret(string name, ReadOnlySpan<byte> secret)
    {
        Separator().Utf8(name).Utf8("=");
        _secretStart = _length;
        foreach (var b in secret)
        {
            Byte(b);
            if (b == (byte)',')
            {
                Byte(b);
            }
        }

        _secretEnd = _length;
        return this;
    }

    /// <summary>Calls <paramref name="use"/> with a pointer to the NUL-terminated options; the bytes stay pinned only for the call.</summary>
    public unsafe int WithPointer(Func<nint, int> use)
    {
        ArgumentNullException.ThrowIfNull(use);
        Byte(0);
        _length--;
        fixed (byte* data = _buffer)
        {
            return use((nint)data);
        }
    }

    /// <summary>Wipes the buffer (it may hold a password).</summary>
    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_buffer);
        _length = 0;
        _secretStart = _secretEnd = -1;
    }

    private MountData Separator() => _length == 0 ? this : Byte((byte)',');

    private MountData Utf8(string text)
    {
        var count = Encoding.UTF8.GetByteCount(text);
        Reserve(count);
        _length += Encoding.UTF8.GetBytes(text, _buffer.AsSpan(_length));
        return this;
    }

    private MountData Byte(byte value)
    {
        Reserve(1);
        _buffer[_length++] = value;
        return this;
    }

    private void Reserve(int count)
    {
        if (_length + count <= _buffer.Length)
        {
            return;
        }

        var larger = new byte[Math.Max(_buffer.Length * 2, _length + count)];
        _buffer.AsSpan(0, _length).CopyTo(larger);
        CryptographicOperations.ZeroMemory(_buffer);
        _buffer = larger;
    }
}
