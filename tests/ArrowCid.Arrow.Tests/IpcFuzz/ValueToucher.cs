using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Printing;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Tests.IpcFuzz;

/// <summary>
/// Reads every slot of every array of a batch the readers accepted: flat values are formatted (which
/// reads their bytes), offsets, list ranges, union slots, run indices and dictionary indices are
/// checked against the child they address. Each array node is walked once, so the work is linear
/// in the arrays' lengths; a budget of slot visits stops the walk on arrays whose length is
/// legitimately huge without buffers (null, empty structs, fixed-size lists of size 0, run ends).
/// </summary>
internal static class ValueToucher
{
    /// <summary>Touches <paramref name="batch"/>; returns false when the budget ran out before every slot was visited.</summary>
    public static bool Touch(RecordBatch batch, ref long budget)
    {
        Assert.True(batch.Columns.Length == batch.Schema.Fields.Length, "column count differs from the schema's field count");
        for (int c = 0; c < batch.Columns.Length; c++)
        {
            var column = batch.Columns[c];
            Assert.True(column.Length == batch.Length, $"column {c} has {column.Length} slots, the batch {batch.Length}");
            TouchArray(column, ref budget, 0, $"column {c}");
        }

        return budget > 0;
    }

    private static void TouchArray(ArrayData array, ref long budget, int depth, string path)
    {
        Assert.True(depth <= 200, $"{path}: nesting deeper than 200");
        if (budget <= 0)
        {
            return;
        }

        var type = array.Type.PhysicalType;
        _ = array.NullCount;
        int slots = (int)Math.Min(array.Length, budget);
        budget -= Math.Max(slots, 1);
        for (int i = 0; i < slots; i++)
        {
            TouchSlot(array, type, i, path);
        }

        for (int c = 0; c < array.Children.Length; c++)
        {
            TouchArray(array.Children[c], ref budget, depth + 1, $"{path}/{c}");
        }

        if (array.Dictionary is { } dictionary)
        {
            TouchArray(dictionary, ref budget, depth + 1, $"{path}/dictionary");
        }
    }

    private static void TouchSlot(ArrayData array, ArrowType type, int i, string path)
    {
        bool valid = array.IsValid(i);
        switch (type.Id)
        {
            case ArrowTypeId.List or ArrowTypeId.LargeList or ArrowTypeId.Map or ArrowTypeId.FixedSizeList:
            {
                var (start, end) = array.GetListRange(i);
                CheckRange(path, i, start, end, array.Children[0].Length);
                break;
            }

            case ArrowTypeId.ListView or ArrowTypeId.LargeListView:
                if (valid)
                {
                    var (start, end) = array.GetListRange(i);
                    CheckRange(path, i, start, end, array.Children[0].Length);
                }

                break;
            case ArrowTypeId.Struct:
                break;
            case ArrowTypeId.SparseUnion or ArrowTypeId.DenseUnion:
            {
                var (child, childIndex) = array.UnionChildSlot(i);
                Assert.True(child >= 0 && child < array.Children.Length, $"{path} slot {i}: union child {child} of {array.Children.Length}");
                Assert.True(childIndex >= 0 && childIndex < array.Children[child].Length, $"{path} slot {i}: union child slot {childIndex} outside {array.Children[child].Length}");
                break;
            }

            case ArrowTypeId.RunEndEncoded:
            {
                int run = array.RunIndex(i);
                Assert.True(run >= 0 && run < array.Children[1].Length, $"{path} slot {i}: run {run} outside {array.Children[1].Length} values");
                break;
            }

            case ArrowTypeId.Dictionary:
            {
                long index = DictionaryIndex(array, type, i);
                if (valid)
                {
                    Assert.True(index >= 0 && index < array.Dictionary!.Length, $"{path} slot {i}: dictionary index {index} outside {array.Dictionary!.Length} values");
                    if (IsFlat(array.Dictionary.Type.PhysicalType))
                    {
                        _ = ArrayPrinter.FormatValue(array, i);
                    }
                }

                break;
            }

            default:
                _ = ArrayPrinter.FormatValue(array, i);
                _ = ArrayPrinter.GetValue(array, i);
                break;
        }
    }

    private static void CheckRange(string path, int i, long start, long end, int childLength) =>
        Assert.True(start >= 0 && start <= end && end <= childLength, $"{path} slot {i}: range [{start}, {end}) outside a child of {childLength}");

    private static bool IsFlat(ArrowType type) => type.Id is not (
        ArrowTypeId.List or ArrowTypeId.LargeList or ArrowTypeId.ListView or ArrowTypeId.LargeListView or ArrowTypeId.FixedSizeList
        or ArrowTypeId.Struct or ArrowTypeId.Map or ArrowTypeId.SparseUnion or ArrowTypeId.DenseUnion
        or ArrowTypeId.Dictionary or ArrowTypeId.RunEndEncoded);

    private static long DictionaryIndex(ArrayData array, ArrowType type, int i) => type.IndexType!.Id switch
    {
        ArrowTypeId.Int8 => array.GetValues<sbyte>()[i],
        ArrowTypeId.UInt8 => array.GetValues<byte>()[i],
        ArrowTypeId.Int16 => array.GetValues<short>()[i],
        ArrowTypeId.UInt16 => array.GetValues<ushort>()[i],
        ArrowTypeId.Int32 => array.GetValues<int>()[i],
        ArrowTypeId.UInt32 => array.GetValues<uint>()[i],
        ArrowTypeId.Int64 => array.GetValues<long>()[i],
        _ => (long)Math.Min(array.GetValues<ulong>()[i], long.MaxValue),
    };
}
