namespace ArrowCid.Http2.Hpack;

/// <summary>The static table of RFC 7541 Appendix A (indexes 1 to 61) and look-ups over it.</summary>
internal static class HpackStaticTable
{
    /// <summary>Number of entries; dynamic-table indexes start right after it.</summary>
    public const int Count = 61;

    // Index 0 is unused so that Entries[i] is the RFC's index i.
    private static readonly KeyValuePair<string, string>[] Entries =
    [
        default,
        new(":authority", ""),
        new(":method", "GET"),
        new(":method", "POST"),
        new(":path", "/"),
        new(":path", "/index.html"),
        new(":scheme", "http"),
        new(":scheme", "https"),
        new(":status", "200"),
        new(":status", "204"),
        new(":status", "206"),
        new(":status", "304"),
        new(":status", "400"),
        new(":status", "404"),
        new(":status", "500"),
        new("accept-charset", ""),
        new("accept-encoding", "gzip, deflate"),
        new("accept-language", ""),
        new("accept-ranges", ""),
        new("accept", ""),
        new("access-control-allow-origin", ""),
        new("age", ""),
        new("allow", ""),
        new("authorization", ""),
        new("cache-control", ""),
        new("content-disposition", ""),
        new("content-encoding", ""),
        new("content-language", ""),
        new("content-length", ""),
        new("content-location", ""),
        new("content-range", ""),
        new("content-type", ""),
        new("cookie", ""),
        new("date", ""),
        new("etag", ""),
        new("expect", ""),
        new("expires", ""),
        new("from", ""),
        new("host", ""),
        new("if-match", ""),
        new("if-modified-since", ""),
        new("if-none-match", ""),
        new("if-range", ""),
        new("if-unmodified-since", ""),
        new("last-modified", ""),
        new("link", ""),
        new("location", ""),
        new("max-forwards", ""),
        new("proxy-authenticate", ""),
        new("proxy-authorization", ""),
        new("range", ""),
        new("referer", ""),
        new("refresh", ""),
        new("retry-after", ""),
        new("server", ""),
        new("set-cookie", ""),
        new("strict-transport-security", ""),
        new("transfer-encoding", ""),
        new("user-agent", ""),
        new("vary", ""),
        new("via", ""),
        new("www-authenticate", ""),
    ];

    private static readonly Dictionary<string, int> NameToIndex = BuildNameIndex();

    // The distinct names, grouped by length, for turning a literal name's octets back into the table's own string.
    private static readonly string[][] NamesByLength = BuildNamesByLength();

    /// <summary>The entry at a 1-based static index (1 to <see cref="Count"/>).</summary>
    public static KeyValuePair<string, string> Get(int index) => Entries[index];

    /// <summary>
    /// The index whose name and value both match, or 0. Entries of one name are adjacent in the table,
    /// so this scans from the name's first index without hashing the value.
    /// </summary>
    public static int FindField(int nameIndex, string value)
    {
        if (nameIndex == 0)
        {
            return 0;
        }

        string name = Entries[nameIndex].Key;
        for (int i = nameIndex; i <= Count && string.Equals(Entries[i].Key, name, StringComparison.Ordinal); i++)
        {
            if (string.Equals(Entries[i].Value, value, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return 0;
    }

    /// <summary>The lowest index whose name matches, or 0.</summary>
    public static int FindName(string name) => NameToIndex.TryGetValue(name, out int index) ? index : 0;

    /// <summary>
    /// When <paramref name="octets"/> spell one of the table's names, gives that name's string instance,
    /// so that decoding a common name allocates nothing.
    /// </summary>
    public static bool TryGetName(ReadOnlySpan<byte> octets, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? name)
    {
        if (octets.Length < NamesByLength.Length)
        {
            foreach (string candidate in NamesByLength[octets.Length])
            {
                if (SameOctets(candidate, octets))
                {
                    name = candidate;
                    return true;
                }
            }
        }

        name = null;
        return false;
    }

    private static bool SameOctets(string s, ReadOnlySpan<byte> octets)
    {
        for (int i = 0; i < octets.Length; i++)
        {
            if (s[i] != octets[i])
            {
                return false;
            }
        }

        return true;
    }

    private static Dictionary<string, int> BuildNameIndex()
    {
        var map = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 1; i <= Count; i++)
        {
            map.TryAdd(Entries[i].Key, i);
        }

        return map;
    }

    private static string[][] BuildNamesByLength()
    {
        int longest = 0;
        for (int i = 1; i <= Count; i++)
        {
            longest = Math.Max(longest, Entries[i].Key.Length);
        }

        var lists = new List<string>[longest + 1];
        for (int i = 0; i < lists.Length; i++)
        {
            lists[i] = [];
        }

        for (int i = 1; i <= Count; i++)
        {
            string name = Entries[i].Key;
            if (!lists[name.Length].Contains(name))
            {
                lists[name.Length].Add(name);
            }
        }

        var result = new string[lists.Length][];
        for (int i = 0; i < lists.Length; i++)
        {
            result[i] = [.. lists[i]];
        }

        return result;
    }
}
