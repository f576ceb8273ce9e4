using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Integration;

/// <summary>
/// Structural checks on a column read from JSON, so that nothing that later walks it (equality,
/// writers) can index outside a buffer or a child: child lengths, offsets and list-view ranges
/// within the child, union type codes and dense offsets, run ends, dictionary indices.
/// </summary>
internal static class JsonColumnChecks
{
    public static void Check(ArrayData array, string where)
    {
        var type = array.Type.PhysicalType;
        switch (type.Id)
        {
            case ArrowTypeId.Struct or ArrowTypeId.SparseUnion:
                for (int c = 0; c < array.Children.Length; c++)
                {
                    if (array.Children[c].Length != array.Length)
                    {
                        throw new ArrowFormatException($"{where}/child {c}: {array.Children[c].Length} slots, the parent has {array.Length}");
                    }
                }

                break;
            case ArrowTypeId.FixedSizeList:
                if (array.Children[0].Length < (long)array.Length * type.ListSize)
                {
                    throw new ArrowFormatException($"{where}/child 0: {array.Children[0].Length} slots, {array.Length} lists of {type.ListSize} need {(long)array.Length * type.ListSize}");
                }

                break;
            case ArrowTypeId.List or ArrowTypeId.LargeList or ArrowTypeId.Map or ArrowTypeId.ListView or ArrowTypeId.LargeListView:
                CheckListRanges(array, where);
                break;
            case ArrowTypeId.RunEndEncoded:
                CheckRunEnds(array, where);
                break;
            case ArrowTypeId.Dictionary:
                for (int i = 0; i < array.Length; i++)
                {
                    if (array.IsValid(i))
                    {
                        try
                        {
                            ArrayEqualityValues.ReadIndex(array, i);
                        }
                        catch (ArrowFormatException ex)
                        {
                            throw new ArrowFormatException($"{where}: {ex.Message}", ex);
                        }
                    }
                }

                break;
        }

        if (type.IsUnion)
        {
            CheckUnion(array, where);
        }
    }

    private static void CheckListRanges(ArrayData array, string where)
    {
        var type = array.Type.PhysicalType;
        bool view = type.Id is ArrowTypeId.ListView or ArrowTypeId.LargeListView;
        int childLength = array.Children[0].Length;
        long previousEnd = array.Length > 0 ? array.GetListRange(0).Start : 0;
        for (int i = 0; i < array.Length; i++)
        {
            var (start, end) = array.GetListRange(i);
            bool ordered = view || start == previousEnd;
            if (start < 0 || end < start || end > childLength || !ordered)
            {
                throw new ArrowFormatException($"{where}: slot {i} spans child slots [{start}, {end}), outside a child of {childLength} (or offsets go backwards)");
            }

            previousEnd = end;
        }
    }

    private static void CheckUnion(ArrayData array, string where)
    {
        var codes = array.Type.PhysicalType.TypeCodes;
        var typeIds = array.Buffers[0].Span;
        for (int i = 0; i < array.Length; i++)
        {
            if (!codes.Contains((sbyte)typeIds[i]))
            {
                throw new ArrowFormatException($"{where}: TYPE_ID[{i}] = {(sbyte)typeIds[i]} is not one of the union's typeIds [{string.Join(", ", codes)}]");
            }

            var (child, childIndex) = array.UnionChildSlot(i);
            if ((uint)childIndex >= (uint)array.Children[child].Length)
            {
                throw new ArrowFormatException($"{where}: OFFSET[{i}] = {childIndex} is outside child {child} of {array.Children[child].Length} slots");
            }
        }
    }

    private static void CheckRunEnds(ArrayData array, string where)
    {
        var runEnds = array.Children[0];
        if (runEnds.Type.Id is not (ArrowTypeId.Int16 or ArrowTypeId.Int32 or ArrowTypeId.Int64) || runEnds.NullCount != 0)
        {
            throw new ArrowFormatException($"{where}: run ends must be non-null int16, int32 or int64");
        }

        if (array.Children[1].Length < runEnds.Length)
        {
            throw new ArrowFormatException($"{where}: {runEnds.Length} runs but {array.Children[1].Length} values");
        }

        long previous = 0;
        for (int r = 0; r < runEnds.Length; r++)
        {
            long end = IntegerSlots.RunEnd(runEnds, runEnds.Offset + r);
            if (end <= previous)
            {
                throw new ArrowFormatException($"{where}: run end {r} = {end} does not increase");
            }

            previous = end;
        }

        if (previous < array.Length)
        {
            throw new ArrowFormatException($"{where}: runs cover {previous} slots of {array.Length}");
        }
    }
}
