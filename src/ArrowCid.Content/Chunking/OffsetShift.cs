using System.Numerics;
using System.Runtime.InteropServices;

namespace ArrowCid.Content.Chunking;

/// <summary>Shifts int32 offsets by a constant in vector-wide steps (slices rebased to 0, parts joined end to end).</summary>
internal static class OffsetShift
{
    /// <summary>Writes <c>source[i] + delta</c> to <c>destination[i]</c> for every i of <paramref name="source"/> (two's-complement wrap-around is impossible for valid offsets).</summary>
    /// <param name="source">The offsets.</param>
    /// <param name="destination">At least as long as <paramref name="source"/>.</param>
    /// <param name="delta">What is added to each.</param>
    public static void Add(ReadOnlySpan<int> source, Span<int> destination, int delta)
    {
        destination = destination[..source.Length];
        int k = 0;
        if (Vector.IsHardwareAccelerated && source.Length >= Vector<int>.Count)
        {
            var add = new Vector<int>(delta);
            var from = MemoryMarshal.Cast<int, Vector<int>>(source);
            var to = MemoryMarshal.Cast<int, Vector<int>>(destination);
            for (int v = 0; v < from.Length; v++)
            {
                to[v] = from[v] + add;
            }

            k = from.Length * Vector<int>.Count;
        }

        for (; k < source.Length; k++)
        {
            destination[k] = source[k] + delta;
        }
    }
}
