using System.Collections;

namespace ArrowCid.Arrow.Builders;

/// <summary>
/// Equality of appended values for dictionary encoding and run coalescing: byte-like values by
/// content, sequences item by item, everything else by <see cref="object.Equals(object?)"/>.
/// </summary>
internal sealed class ValueKeyComparer : IEqualityComparer<object>
{
    public static ValueKeyComparer Instance { get; } = new();

    /// <summary>A stable key for <paramref name="value"/>: byte memories become arrays, so the key does not alias caller memory.</summary>
    public static object Normalize(object value) => value switch
    {
        ReadOnlyMemory<byte> r => r.ToArray(),
        Memory<byte> m => m.ToArray(),
        ArraySegment<byte> s => s.ToArray(),
        byte[] or string => value,
        // A snapshot, so that a caller reusing its list cannot change a stored key.
        IEnumerable e => e.Cast<object?>().ToArray(),
        _ => value,
    };

    public new bool Equals(object? x, object? y)
    {
        if (ReferenceEquals(x, y))
        {
            return true;
        }

        if (x is null || y is null)
        {
            return false;
        }

        if (x is byte[] a && y is byte[] b)
        {
            return a.AsSpan().SequenceEqual(b);
        }

        if (x is not string && y is not string && x is IEnumerable ex && y is IEnumerable ey)
        {
            var ix = ex.Cast<object?>().ToList();
            var iy = ey.Cast<object?>().ToList();
            return ix.Count == iy.Count && ix.Zip(iy).All(p => Equals(p.First, p.Second));
        }

        return x.Equals(y);
    }

    public int GetHashCode(object obj)
    {
        switch (obj)
        {
            case byte[] bytes:
            {
                var h = new HashCode();
                h.AddBytes(bytes);
                return h.ToHashCode();
            }

            case string s:
                return s.GetHashCode(StringComparison.Ordinal);
            case IEnumerable e:
            {
                var h = new HashCode();
                foreach (object? item in e)
                {
                    h.Add(item is null ? 0 : GetHashCode(item));
                }

                return h.ToHashCode();
            }

            default:
                return obj.GetHashCode();
        }
    }
}
