using System.Text;

namespace ArrowCid.Arrow.Builders;

/// <summary>The byte-like CLR values builders accept for binary slots.</summary>
internal static class ByteValues
{
    /// <summary>The bytes of <paramref name="value"/> (strings as UTF-8), or null when it is not byte-like.</summary>
    public static ReadOnlySpan<byte> GetOrEmpty(object value, out bool ok)
    {
        ok = true;
        switch (value)
        {
            case byte[] a: return a;
            case ReadOnlyMemory<byte> r: return r.Span;
            case Memory<byte> m: return m.Span;
            case ArraySegment<byte> s: return s;
            case string str: return Encoding.UTF8.GetBytes(str);
            default:
                ok = false;
                return default;
        }
    }

    /// <summary>The bytes of <paramref name="value"/> as an array, or null when it is not byte-like.</summary>
    public static byte[]? Get(object value)
    {
        var span = GetOrEmpty(value, out bool ok);
        return ok ? span.ToArray() : null;
    }
}
