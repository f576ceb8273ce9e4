using System.Collections.Immutable;
using System.Runtime.InteropServices;
using System.Text;

namespace ArrowCid.Arrow.CData;

/// <summary>
/// Native memory owned by one exported structure (strings, pointer arrays, child structures):
/// everything is freed together by that structure's release callback.
/// </summary>
internal sealed unsafe class NativeAllocations
{
    private readonly List<nint> _blocks = [];

    /// <summary>Zeroed native memory of <paramref name="bytes"/> bytes (at least 1), freed by <see cref="FreeAll"/>.</summary>
    public void* Alloc(long bytes)
    {
        void* p = NativeMemory.AllocZeroed((nuint)Math.Max(1, bytes));
        _blocks.Add((nint)p);
        return p;
    }

    /// <summary>A null-terminated UTF-8 copy of <paramref name="text"/>.</summary>
    public byte* Utf8(string text)
    {
        int n = Encoding.UTF8.GetByteCount(text);
        var p = (byte*)Alloc(n + 1);
        Encoding.UTF8.GetBytes(text, new Span<byte>(p, n));
        return p;
    }

    /// <summary>Metadata in the C Data binary layout (native-endian int32 lengths), or null when there is none.</summary>
    public byte* Metadata(ImmutableArray<KeyValuePair<string, string>> metadata)
    {
        if (metadata.IsDefaultOrEmpty)
        {
            return null;
        }

        long size = 4;
        foreach (var kv in metadata)
        {
            size += 8 + Encoding.UTF8.GetByteCount(kv.Key) + Encoding.UTF8.GetByteCount(kv.Value);
        }

        var p = (byte*)Alloc(size);
        var span = new Span<byte>(p, checked((int)size));
        MemoryMarshal.Write(span, metadata.Length);
        int at = 4;
        foreach (var kv in metadata)
        {
            at = WriteString(span, at, kv.Key);
            at = WriteString(span, at, kv.Value);
        }

        return p;
    }

    private static int WriteString(Span<byte> span, int at, string s)
    {
        int n = Encoding.UTF8.GetBytes(s, span[(at + 4)..]);
        MemoryMarshal.Write(span[at..], n);
        return at + 4 + n;
    }

    public void FreeAll()
    {
        foreach (nint p in _blocks)
        {
            NativeMemory.Free((void*)p);
        }

        _blocks.Clear();
    }
}

/// <summary>Reads the strings and metadata of a foreign structure defensively.</summary>
internal static unsafe class NativeText
{
    /// <summary>Longest string or metadata entry accepted from a foreign structure.</summary>
    private const int MaxLength = 64 << 20;

    /// <summary>Most metadata pairs accepted.</summary>
    private const int MaxPairs = 1 << 20;

    public static string? Utf8(byte* p, string what)
    {
        if (p == null)
        {
            return null;
        }

        int n = 0;
        while (p[n] != 0)
        {
            if (++n > MaxLength)
            {
                throw new ArrowFormatException($"{what} is longer than {MaxLength} bytes (not null-terminated?)");
            }
        }

        return Decode(new ReadOnlySpan<byte>(p, n), what);
    }

    public static ImmutableArray<KeyValuePair<string, string>> Metadata(byte* p, string what)
    {
        if (p == null)
        {
            return [];
        }

        int count = MemoryMarshal.Read<int>(new ReadOnlySpan<byte>(p, 4));
        if (count < 0 || count > MaxPairs)
        {
            throw new ArrowFormatException($"{what} metadata has an invalid pair count {count}");
        }

        var pairs = ImmutableArray.CreateBuilder<KeyValuePair<string, string>>(count);
        long at = 4;
        for (int i = 0; i < count; i++)
        {
            string key = Entry(p, ref at, what);
            string value = Entry(p, ref at, what);
            pairs.Add(new(key, value));
        }

        return pairs.MoveToImmutable();
    }

    private static string Entry(byte* p, ref long at, string what)
    {
        int n = MemoryMarshal.Read<int>(new ReadOnlySpan<byte>(p + at, 4));
        if (n < 0 || n > MaxLength)
        {
            throw new ArrowFormatException($"{what} metadata has an entry of invalid length {n}");
        }

        string s = Decode(new ReadOnlySpan<byte>(p + at + 4, n), what);
        at += 4 + n;
        return s;
    }

    private static string Decode(ReadOnlySpan<byte> bytes, string what)
    {
        try
        {
            return new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new ArrowFormatException($"{what} is not valid UTF-8", e);
        }
    }
}
