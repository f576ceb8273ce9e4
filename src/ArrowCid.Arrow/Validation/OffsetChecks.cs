using System.Runtime.InteropServices;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Validation;

/// <summary>
/// Offsets of var-binary arrays and lists, offsets and sizes of list views. Readers index with
/// every offset, so all of them (not just the first and last) must be in bounds and, for
/// offset-based layouts, non-decreasing.
/// </summary>
internal static class OffsetChecks
{
    /// <summary>Offsets [offset, offset + length] of buffer 1 within [0, <paramref name="limit"/>] and non-decreasing.</summary>
    public static void CheckOffsets(ArrayData array, long limit, string target, ValidationPath path)
    {
        if (array.Length == 0)
        {
            return;
        }

        bool large = array.Layout.Buffers[1] == BufferKind.Offsets64;
        var bytes = array.Buffers[1].Span;
        int first = array.Offset, last = array.Offset + array.Length;
        if (large)
        {
            CheckRange(MemoryMarshal.Cast<byte, long>(bytes), first, last, limit, target, path);
        }
        else
        {
            CheckRange(MemoryMarshal.Cast<byte, int>(bytes), first, last, limit, target, path);
        }
    }

    private static void CheckRange<T>(ReadOnlySpan<T> offsets, int first, int last, long limit, string target, ValidationPath path)
        where T : unmanaged, System.Numerics.IBinaryInteger<T>
    {
        long previous = 0;
        for (int i = first; i <= last; i++)
        {
            long value = long.CreateTruncating(offsets[i]);
            if (value < 0 || value > limit)
            {
                throw path.Error($"offset {value} at position {i - first} is outside the {target} (0..{limit})");
            }

            if (i > first && value < previous)
            {
                throw path.Error($"offsets decrease at position {i - first} ({previous} then {value})");
            }

            previous = value;
        }
    }

    /// <summary>Every slot's [offset, offset + size) within the child.</summary>
    public static void CheckListViews(ArrayData array, ValidationPath path)
    {
        long childLength = array.Children[0].Length;
        bool large = array.Layout.Buffers[1] == BufferKind.Offsets64;
        for (int i = array.Offset; i < array.Offset + array.Length; i++)
        {
            long offset, size;
            if (large)
            {
                offset = MemoryMarshal.Cast<byte, long>(array.Buffers[1].Span)[i];
                size = MemoryMarshal.Cast<byte, long>(array.Buffers[2].Span)[i];
            }
            else
            {
                offset = MemoryMarshal.Cast<byte, int>(array.Buffers[1].Span)[i];
                size = MemoryMarshal.Cast<byte, int>(array.Buffers[2].Span)[i];
            }

            // offset ≤ childLength and size ≤ childLength - offset: no addition that could overflow.
            if (offset < 0 || size < 0 || offset > childLength || size > childLength - offset)
            {
                throw path.Error($"list view at slot {i - array.Offset} (offset {offset}, size {size}) is outside the child of {childLength} slots");
            }
        }
    }
}
