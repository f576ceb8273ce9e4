using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Memory;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Validation;

/// <summary>
/// Buffer count and size checks driven by <see cref="TypeLayout"/>: one rule per
/// <see cref="BufferKind"/> instead of one per type. Each fixed buffer must cover the slots
/// [0, offset + length) it can be indexed with.
/// </summary>
internal static class BufferChecks
{
    public static void Check(ArrayData array, ArrowType type, ValidationPath path)
    {
        var layout = type.Layout;
        int fixedCount = layout.Buffers.Length;
        if (layout.HasVariadicBuffers ? array.Buffers.Length < fixedCount : array.Buffers.Length != fixedCount)
        {
            string needs = layout.HasVariadicBuffers ? $"at least {fixedCount}" : fixedCount.ToString(System.Globalization.CultureInfo.InvariantCulture);
            throw path.Error($"has {array.Buffers.Length} buffers, the type {type} needs {needs}");
        }

        long slots = (long)array.Offset + array.Length;
        bool isListView = type.Id is ArrowTypeId.ListView or ArrowTypeId.LargeListView;
        for (int i = 0; i < fixedCount; i++)
        {
            var kind = layout.Buffers[i];
            long have = array.Buffers[i].Length;
            if (kind == BufferKind.Validity && have == 0)
            {
                continue; // absent bitmap: every slot valid
            }

            long needed = BytesNeeded(kind, layout.ValueBitWidth, slots, array.Length, isListView);
            if (have < needed)
            {
                throw path.Error($"{KindName(kind)} buffer has {have} bytes, needs {needed} for {array.Length} slots at offset {array.Offset}");
            }
        }
    }

    /// <summary>The null count (given or computed) must agree with the validity bitmap; types without one have none of their own.</summary>
    public static void CheckNullCount(ArrayData array, ArrowType type, ValidationPath path)
    {
        int nullCount = array.NullCount;
        long expected;
        if (type.Id == ArrowTypeId.Null)
        {
            expected = array.Length;
        }
        else if (type.Layout.HasValidity)
        {
            var validity = array.ValidityBitmap;
            expected = validity.IsEmpty ? 0 : array.Length - BitUtil.CountSetBits(validity, array.Offset, array.Length);
        }
        else
        {
            expected = 0;
        }

        if (nullCount != expected)
        {
            throw path.Error($"null count {nullCount} does not match the {expected} null slots the array has");
        }
    }

    private static long BytesNeeded(BufferKind kind, int valueBitWidth, long slots, int length, bool isListView) => kind switch
    {
        BufferKind.Validity or BufferKind.Bits => BitUtil.BytesForBits(slots),
        BufferKind.FixedWidth => slots * (valueBitWidth / 8),
        // List views have one offset per slot (paired with a size), not one more.
        BufferKind.Offsets32 when isListView => slots * 4,
        BufferKind.Offsets64 when isListView => slots * 8,
        // An empty array may omit its offsets entirely; otherwise one more offset than slots.
        BufferKind.Offsets32 => length == 0 ? 0 : (slots + 1) * 4,
        BufferKind.Offsets64 => length == 0 ? 0 : (slots + 1) * 8,
        BufferKind.Views => slots * 16,
        BufferKind.Sizes32 or BufferKind.UnionOffsets => slots * 4,
        BufferKind.Sizes64 => slots * 8,
        BufferKind.TypeIds => slots,
        _ => 0, // data buffers are bounded by the offsets that point into them
    };

    internal static string KindName(BufferKind kind) => kind switch
    {
        BufferKind.Validity => "validity",
        BufferKind.Bits or BufferKind.FixedWidth => "values",
        BufferKind.Offsets32 or BufferKind.Offsets64 => "offsets",
        BufferKind.Data => "data",
        BufferKind.Views => "views",
        BufferKind.Sizes32 or BufferKind.Sizes64 => "sizes",
        BufferKind.TypeIds => "type ids",
        _ => "union offsets",
    };
}
