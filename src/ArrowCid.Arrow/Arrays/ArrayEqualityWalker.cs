using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Arrays;

/// <summary>
/// The slot-by-slot comparison behind <see cref="ArrayEquality"/>. Every method returns null when
/// equal, otherwise the rest of a path to the first difference; paths are only built on the way
/// back out of a difference, so equal data costs no strings.
/// </summary>
internal sealed class ArrayEqualityWalker(FloatComparison floats)
{
    /// <summary>Compares whole arrays: logical types (dictionaries decoded), lengths, then every slot.</summary>
    public string? CompareArrays(ArrayData a, ArrayData b)
    {
        var ta = ArrayEqualityTypes.Decoded(a.Type);
        var tb = ArrayEqualityTypes.Decoded(b.Type);
        if (!ta.Equals(tb))
        {
            return $"type {ta} != {tb}";
        }

        if (a.Length != b.Length)
        {
            return $"length {a.Length} != {b.Length}";
        }

        return CompareRange(a, 0, b, 0, a.Length);
    }

    private string? CompareRange(ArrayData a, int aStart, ArrayData b, int bStart, int count)
    {
        for (int k = 0; k < count; k++)
        {
            string? d = CompareSlot(a, aStart + k, b, bStart + k);
            if (d is not null)
            {
                return $"slot {aStart + k}{d}";
            }
        }

        return null;
    }

    /// <summary>Compares one logical slot; the result starts with ':' (a value differs) or '/' (a child does).</summary>
    private string? CompareSlot(ArrayData a, int i, ArrayData b, int j)
    {
        // Dictionaries and run-end encoding are representations: compare what they stand for.
        (a, i) = Resolve(a, i);
        (b, j) = Resolve(b, j);
        var type = a.Type.PhysicalType;

        if (type.IsUnion)
        {
            return CompareUnionSlot(a, i, b, j);
        }

        bool validA = a.IsValid(i), validB = b.IsValid(j);
        if (validA != validB)
        {
            return $": {ArrayEqualityFormat.Slot(a, i)} != {ArrayEqualityFormat.Slot(b, j)}";
        }

        if (!validA)
        {
            return null;
        }

        switch (type.Id)
        {
            case ArrowTypeId.Null:
                return null;
            case ArrowTypeId.Boolean:
                return a.GetBoolean(i) == b.GetBoolean(j) ? null : ValueDifference(a, i, b, j);
            case ArrowTypeId.Binary or ArrowTypeId.LargeBinary or ArrowTypeId.Utf8 or ArrowTypeId.LargeUtf8
                or ArrowTypeId.BinaryView or ArrowTypeId.Utf8View or ArrowTypeId.FixedSizeBinary:
                return a.GetBytes(i).SequenceEqual(b.GetBytes(j)) ? null : ValueDifference(a, i, b, j);
            case ArrowTypeId.List or ArrowTypeId.LargeList or ArrowTypeId.ListView or ArrowTypeId.LargeListView
                or ArrowTypeId.FixedSizeList or ArrowTypeId.Map:
                return CompareListSlot(a, i, b, j);
            case ArrowTypeId.Struct:
                for (int c = 0; c < type.Children.Length; c++)
                {
                    string? d = CompareSlot(a.Children[c], i, b.Children[c], j);
                    if (d is not null)
                    {
                        return $"/child {c} '{type.Children[c].Name}' slot {i}{d}";
                    }
                }

                return null;
            default:
                return ArrayEqualityValues.FixedWidthEqual(a, i, b, j, floats) ? null : ValueDifference(a, i, b, j);
        }
    }

    private string? CompareUnionSlot(ArrayData a, int i, ArrayData b, int j)
    {
        var type = a.Type.PhysicalType;
        var (childA, slotA) = a.UnionChildSlot(i);
        var (childB, slotB) = b.UnionChildSlot(j);
        if (childA != childB)
        {
            return $": type code {type.TypeCodes[childA]} != {type.TypeCodes[childB]}";
        }

        string? d = CompareSlot(a.Children[childA], slotA, b.Children[childB], slotB);
        return d is null ? null : $"/child {childA} '{type.Children[childA].Name}' slot {slotA}{d}";
    }

    private string? CompareListSlot(ArrayData a, int i, ArrayData b, int j)
    {
        var (startA, endA) = a.GetListRange(i);
        var (startB, endB) = b.GetListRange(j);
        long lengthA = endA - startA, lengthB = endB - startB;
        if (lengthA != lengthB)
        {
            return $": list of {lengthA} != list of {lengthB}";
        }

        string? d = CompareRange(a.Children[0], checked((int)startA), b.Children[0], checked((int)startB), checked((int)lengthA));
        return d is null ? null : $"/child 0 '{a.Type.PhysicalType.Children[0].Name}' {d}";
    }

    /// <summary>Follows dictionary indices and run-end runs down to the array and slot that hold the value.</summary>
    private static (ArrayData Array, int Slot) Resolve(ArrayData array, int slot)
    {
        while (true)
        {
            switch (array.Type.PhysicalType.Id)
            {
                case ArrowTypeId.Dictionary:
                    if (!array.IsValid(slot))
                    {
                        return (array, slot);
                    }

                    var dictionary = array.Dictionary
                        ?? throw new ArrowFormatException($"dictionary-encoded array of {array.Type} has no dictionary");
                    slot = checked((int)ArrayEqualityValues.ReadIndex(array, slot));
                    array = dictionary;
                    break;
                case ArrowTypeId.RunEndEncoded:
                    slot = array.RunIndex(slot);
                    array = array.Children[1];
                    break;
                default:
                    return (array, slot);
            }
        }
    }

    private static string ValueDifference(ArrayData a, int i, ArrayData b, int j) =>
        $": {ArrayEqualityFormat.Slot(a, i)} != {ArrayEqualityFormat.Slot(b, j)}";
}
