using System.Buffers.Binary;
using System.Text;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Memory;
using ArrowCid.Arrow.Types;
using FsCheck;
using FsCheck.Fluent;

namespace ArrowCid.Arrow.Tests.Arrays;

public class ArrayEqualityTests
{
    private static void AssertEqual(ArrayData a, ArrayData b, FloatComparison floats = FloatComparison.Bitwise)
    {
        Assert.True(ArrayEquality.Equals(a, b, floats, out string? difference), difference);
        Assert.True(ArrayEquality.Equals(b, a, floats, out difference), difference);
    }

    private static string Difference(ArrayData a, ArrayData b, FloatComparison floats = FloatComparison.Bitwise)
    {
        Assert.False(ArrayEquality.Equals(a, b, floats, out string? difference));
        Assert.NotNull(difference);
        return difference;
    }

    [Fact]
    public void Sliced_and_unsliced_int32_are_equal()
    {
        var whole = TestArrays.Int32(9, 1, 2, null, 4, 9);
        var plain = TestArrays.Int32(1, 2, null, 4);
        AssertEqual(whole.Slice(1, 4), plain);
    }

    [Fact]
    public void Values_under_nulls_and_an_all_valid_bitmap_are_ignored()
    {
        var a = TestArrays.Int32(1, null, 3);
        var garbage = TestArrays.WithValue(a, 1, 12345);
        AssertEqual(a, garbage);

        var noBitmap = TestArrays.Int32(1, 2, 3);
        var allValid = new ArrayData(ArrowType.Int32, 3, 0, 0, [TestArrays.Bitmap(true, true, true), noBitmap.Buffers[1]]);
        AssertEqual(TestArrays.WithoutValidity(noBitmap), allValid);
    }

    [Fact]
    public void First_difference_is_named_with_slot_and_values()
    {
        Assert.Equal("slot 2: 3 != 4", Difference(TestArrays.Int32(1, 2, 3), TestArrays.Int32(1, 2, 4)));
        Assert.Equal("slot 1: null != 2", Difference(TestArrays.Int32(1, null, 3), TestArrays.Int32(1, 2, 3)));
        Assert.Equal("length 2 != 3", Difference(TestArrays.Int32(1, 2), TestArrays.Int32(1, 2, 3)));
        Assert.StartsWith("type int32 != int64", Difference(TestArrays.Int32(1), new ArrayData(ArrowType.Int64, 1, 0, 0, [default, new byte[8]])), StringComparison.Ordinal);
    }

    [Fact]
    public void Utf8_compares_slot_bytes_not_layout()
    {
        var sliced = TestArrays.Utf8("zz", "ab", null, "c").Slice(1, 3);
        var plain = TestArrays.Utf8("ab", null, "c");
        AssertEqual(sliced, plain);
        // A null slot may still span bytes.
        AssertEqual(TestArrays.Utf8("ab", "xyz", "c").WithNull(1), plain);
        Assert.Equal("slot 2: \"c\" != \"d\"", Difference(plain, TestArrays.Utf8("ab", null, "d")));
        AssertEqual(TestArrays.LargeUtf8("ab", null, "c"), TestArrays.LargeUtf8("ab", null, "c").Slice(0, 3));
    }

    [Fact]
    public void Utf8_views_compare_viewed_bytes_whatever_the_buffers()
    {
        string longText = "a string longer than twelve bytes";
        var packed = TestArrays.Utf8View([ "short", longText, null, longText + "!" ], spread: false);
        var spread = TestArrays.Utf8View([ "short", longText, "garbage under a null slot", longText + "!" ], spread: true).WithNull(2);
        AssertEqual(packed, spread);
        var other = TestArrays.Utf8View([ "short", longText, null, longText + "?" ], spread: true);
        Assert.StartsWith("slot 3: \"a string", Difference(packed, other), StringComparison.Ordinal);
    }

    [Fact]
    public void Binary_fixed_size_binary_and_booleans_compare_by_value()
    {
        AssertEqual(TestArrays.Binary([1, 2], null, [3]), TestArrays.Binary([9], [1, 2], [7, 7], [3]).Slice(1, 3).WithNull(1));
        Assert.Equal("slot 0: 0x0102 != 0x0103", Difference(TestArrays.Binary([1, 2]), TestArrays.Binary([1, 3])));

        var fsb = TestArrays.FixedSizeBinary(2, [1, 2], [3, 4], [5, 6]);
        AssertEqual(fsb.Slice(1, 2), TestArrays.FixedSizeBinary(2, [3, 4], [5, 6]));

        var bools = TestArrays.Boolean(true, false, true, true, false, false, true, false, true, true);
        AssertEqual(bools.Slice(3, 6), TestArrays.Boolean(true, false, false, true, false, true));
        Assert.Equal("slot 1: false != true", Difference(bools.Slice(3, 2), TestArrays.Boolean(true, true)));
    }

    [Fact]
    public void Floats_are_bitwise_except_nan_and_can_be_compared_at_float32_precision()
    {
        var nanA = TestArrays.Float64(1.5, double.NaN);
        var nanB = TestArrays.Float64(1.5, BitConverter.Int64BitsToDouble(0x7FF8_0000_0000_1234));
        AssertEqual(nanA, nanB);
        Assert.Equal("slot 0: 0 != -0", Difference(TestArrays.Float64(0.0), TestArrays.Float64(-0.0)));
        Assert.Equal("slot 0: 0.1 != 0.10000000000000002", Difference(TestArrays.Float64(0.1), TestArrays.Float64(0.1 + 1e-17)));
        AssertEqual(TestArrays.Float64(0.1), TestArrays.Float64(0.1 + 1e-17), FloatComparison.RoundToSingle);
        Difference(TestArrays.Float64(0.1), TestArrays.Float64(0.1001), FloatComparison.RoundToSingle);

        var singleNaN = new ArrayData(ArrowType.Float32, 1, 0, 0, [default, BitConverter.GetBytes(BitConverter.Int32BitsToSingle(0x7FC0_0001))]);
        AssertEqual(singleNaN, new ArrayData(ArrowType.Float32, 1, 0, 0, [default, BitConverter.GetBytes(float.NaN)]));
    }

    [Fact]
    public void Decimals_and_intervals_compare_their_bytes()
    {
        var dec = TestArrays.Fixed(ArrowType.Decimal(10, 2), 16, [[1, 0], [5, 0]], new[] { true, true });
        Assert.Equal("slot 1: 5e-2 != 6e-2", Difference(dec, TestArrays.Fixed(ArrowType.Decimal(10, 2), 16, [[1, 0], [6, 0]], new[] { true, true })));
        var dayTime = TestArrays.Fixed(ArrowType.IntervalDayTime, 8, [[1, 2]], new[] { true });
        Assert.Equal("slot 0: 1d2ms != 1d3ms", Difference(dayTime, TestArrays.Fixed(ArrowType.IntervalDayTime, 8, [[1, 3]], new[] { true })));
    }

    [Fact]
    public void Lists_compare_only_the_referenced_child_range()
    {
        // [[1, 2], null, [3]] with unrelated child values around the ranges and under the null list.
        var child = TestArrays.Int32(99, 1, 2, 98, 3, 97);
        var a = TestArrays.List(child, [1, 3, 4, 5], TestArrays.Bitmap(true, false, true));
        var b = TestArrays.List(TestArrays.Int32(1, 2, 3), [0, 2, 2, 3], TestArrays.Bitmap(true, false, true));
        AssertEqual(a, b);

        var c = TestArrays.List(TestArrays.Int32(1, 2, 4), [0, 2, 2, 3], TestArrays.Bitmap(true, false, true));
        Assert.Equal("slot 2/child 0 'item' slot 2: 3 != 4", Difference(b, c));
        var d = TestArrays.List(TestArrays.Int32(1, 2, 3), [0, 1, 1, 3], TestArrays.Bitmap(true, false, true));
        Assert.Equal("slot 0: list of 2 != list of 1", Difference(b, d));
        AssertEqual(b.Slice(1, 2), TestArrays.List(TestArrays.Int32(3), [0, 0, 1], TestArrays.Bitmap(false, true)));
    }

    [Fact]
    public void Fixed_size_lists_and_list_views_compare_by_items()
    {
        var fsl = new ArrayData(ArrowType.FixedSizeList(new Field("item", ArrowType.Int32), 2), 3, -1, 0,
            [default], [TestArrays.Int32(1, 2, 3, 4, 5, 6)]);
        var fslTail = new ArrayData(fsl.Type, 2, -1, 0, [default], [TestArrays.Int32(3, 4, 5, 6)]);
        AssertEqual(fsl.Slice(1, 2), fslTail);

        // List views may point anywhere in their child, in any order.
        var viewType = ArrowType.ListView(new Field("item", ArrowType.Int32));
        var view = new ArrayData(viewType, 2, -1, 0, [default, TestArrays.Ints32(3, 0), TestArrays.Ints32(2, 1)], [TestArrays.Int32(7, 0, 0, 8, 9)]);
        var packed = new ArrayData(viewType, 2, -1, 0, [default, TestArrays.Ints32(0, 2), TestArrays.Ints32(2, 1)], [TestArrays.Int32(8, 9, 7)]);
        AssertEqual(view, packed);
    }

    [Fact]
    public void Struct_children_follow_the_parent_slice_and_report_their_path()
    {
        var type = ArrowType.Struct(new Field("x", ArrowType.Int32), new Field("s", ArrowType.Utf8));
        var whole = new ArrayData(type, 4, -1, 0, [TestArrays.Bitmap(true, true, false, true)],
            [TestArrays.Int32(0, 1, 2, 3), TestArrays.Utf8("a", "b", "c", "d")]);
        var tail = new ArrayData(type, 3, -1, 0, [TestArrays.Bitmap(true, false, true)],
            [TestArrays.Int32(1, 42, 3), TestArrays.Utf8("b", "under null", "d")]);
        AssertEqual(whole.Slice(1, 3), tail);

        var changed = new ArrayData(type, 3, -1, 0, [default], [TestArrays.Int32(1, 2, 3), TestArrays.Utf8("b", "c", "e")]);
        Assert.Equal("slot 0/child 1 's' slot 0: \"c\" != \"b\"",
            Difference(new ArrayData(type, 3, -1, 0, [default], [TestArrays.Int32(1, 2, 3), TestArrays.Utf8("c", "c", "e")]), changed));
    }

    [Fact]
    public void Dictionaries_compare_by_decoded_values_whatever_the_indices()
    {
        var dictA = TestArrays.Utf8("a", "b", "c");
        var dictB = TestArrays.Utf8("c", null, "a", "b");
        var a = TestArrays.Dictionary(ArrowType.Int8, dictA, 0, 2, null, 1);
        var b = TestArrays.Dictionary(ArrowType.Int32, dictB, 2, 0, 1, 3);  // slot 2 decodes to a null value
        AssertEqual(a, b);

        // Dictionary-encoded against plain values of the value type.
        AssertEqual(a, TestArrays.Utf8("a", "c", null, "b"));
        var c = TestArrays.Dictionary(ArrowType.UInt16, dictA, 0, 2, null, 0);
        Assert.Equal("slot 3: \"b\" != \"a\"", Difference(a, c));
    }

    [Fact]
    public void Unions_compare_the_selected_values()
    {
        var members = new[] { new Field("i", ArrowType.Int32), new Field("s", ArrowType.Utf8) };
        var dense = ArrowType.Union(true, members, [5, 7]);
        // slots: i=1, s="x", i=null
        var a = new ArrayData(dense, 3, -1, 0, [new byte[] { 5, 7, 5 }, TestArrays.Ints32(0, 0, 1)],
            [TestArrays.Int32(1, null), TestArrays.Utf8("x")]);
        var b = new ArrayData(dense, 3, -1, 0, [new byte[] { 5, 7, 5 }, TestArrays.Ints32(2, 1, 0)],
            [TestArrays.Int32(null, 8, 1), TestArrays.Utf8("unused", "x")]);
        AssertEqual(a, b);
        var c = new ArrayData(dense, 3, -1, 0, [new byte[] { 5, 5, 5 }, TestArrays.Ints32(0, 0, 1)],
            [TestArrays.Int32(1, null), TestArrays.Utf8("x")]);
        Assert.Equal("slot 1: type code 7 != 5", Difference(a, c));

        var sparse = ArrowType.Union(false, members, [5, 7]);
        var s1 = new ArrayData(sparse, 3, -1, 0, [new byte[] { 5, 7, 5 }], [TestArrays.Int32(1, 0, 3), TestArrays.Utf8("", "x", "")]);
        var s2 = new ArrayData(sparse, 3, -1, 0, [new byte[] { 5, 7, 5 }], [TestArrays.Int32(1, 9, 4), TestArrays.Utf8("q", "x", "q")]);
        Assert.Equal("slot 2/child 0 'i' slot 2: 3 != 4", Difference(s1, s2));
        AssertEqual(s1.Slice(0, 2), s2.Slice(0, 2));
    }

    [Fact]
    public void Run_end_encoding_compares_logical_values_not_runs()
    {
        var type = ArrowType.RunEndEncoded(ArrowType.Int32, new Field("values", ArrowType.Utf8));
        var twoRuns = new ArrayData(type, 5, 0, 0, [], [TestArrays.Int32(2, 5), TestArrays.Utf8("a", "b")]);
        var threeRuns = new ArrayData(type, 5, 0, 0, [], [TestArrays.Int32(1, 2, 5), TestArrays.Utf8("a", "a", "b")]);
        AssertEqual(twoRuns, threeRuns);
        AssertEqual(twoRuns.Slice(1, 3), new ArrayData(type, 3, 0, 0, [], [TestArrays.Int32(1, 3), TestArrays.Utf8("a", "b")]));
        var other = new ArrayData(type, 5, 0, 0, [], [TestArrays.Int32(3, 5), TestArrays.Utf8("a", "b")]);
        Assert.Equal("slot 2: \"b\" != \"a\"", Difference(twoRuns, other));
    }

    [Fact]
    public void Null_arrays_compare_by_length()
    {
        AssertEqual(new ArrayData(ArrowType.Null, 3, 3, 0, []), new ArrayData(ArrowType.Null, 5, 5, 0, []).Slice(1, 3));
        Difference(new ArrayData(ArrowType.Null, 3, 3, 0, []), new ArrayData(ArrowType.Null, 2, 2, 0, []));
    }

    [Fact]
    public void Batches_name_the_column_and_compare_schemas()
    {
        var schema = new Schema([new Field("a", ArrowType.Int32), new Field("x", ArrowType.Int32)]);
        using var b1 = new RecordBatch(schema, 2, [TestArrays.Int32(1, 2), TestArrays.Int32(3, 4)]);
        using var b2 = new RecordBatch(schema, 2, [TestArrays.Int32(1, 2), TestArrays.Int32(3, 5)]);
        using var b3 = new RecordBatch(schema, 2, [TestArrays.Int32(7, 1, 2).Slice(1, 2), TestArrays.Int32(3, 4)]);
        Assert.True(ArrayEquality.Equals(b1, b3, out string? none), none);
        Assert.False(ArrayEquality.Equals(b1, b2, out string? difference));
        Assert.Equal("column 'x' (1) slot 1: 4 != 5", difference);

        var otherSchema = new Schema([new Field("a", ArrowType.Int32), new Field("x", ArrowType.Int32, nullable: false)]);
        using var b4 = new RecordBatch(otherSchema, 2, [TestArrays.Int32(1, 2), TestArrays.Int32(3, 4)]);
        Assert.False(ArrayEquality.Equals(b1, b4, out difference));
        Assert.StartsWith("schema: field 1", difference, StringComparison.Ordinal);
    }

    [Fact]
    public void Any_int32_array_equals_itself_sliced_out_of_a_larger_one_and_differs_when_a_value_changes()
    {
        var gen = ArbMap.Default.ArbFor<int?[]>();
        Prop.ForAll(gen, ArbMap.Default.ArbFor<int[]>(), (int?[] values, int[] padding) =>
        {
            values ??= [];
            padding ??= [];
            var plain = TestArrays.Int32(values);
            int?[] padded = [.. padding.Select(p => (int?)p), .. values, .. padding.Select(p => (int?)p)];
            var sliced = TestArrays.Int32(padded).Slice(padding.Length, values.Length);
            bool equal = ArrayEquality.Equals(plain, sliced, out _);

            int changeAt = Array.FindIndex(values, v => v.HasValue);
            bool detected = true;
            if (changeAt >= 0)
            {
                var changedValues = (int?[])values.Clone();
                changedValues[changeAt] = unchecked(values[changeAt]!.Value + 1);
                detected = !ArrayEquality.Equals(plain, TestArrays.Int32(changedValues), out string? d)
                    && d!.StartsWith($"slot {changeAt}:", StringComparison.Ordinal);
            }

            return equal && detected;
        }).QuickCheckThrowOnFailure();
    }
}

/// <summary>Small hand-built arrays for equality and JSON tests; values under nulls are deliberately non-zero.</summary>
internal static class TestArrays
{
    private const int Garbage = 0x5A5A5A5A;

    public static byte[] Bitmap(params bool[] valid)
    {
        var bits = new byte[BitUtil.BytesForBits(valid.Length)];
        for (int i = 0; i < valid.Length; i++)
        {
            BitUtil.SetBit(bits, i, valid[i]);
        }

        return bits;
    }

    public static byte[] Ints32(params int[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(i * 4), values[i]);
        }

        return bytes;
    }

    public static ArrayData Int32(params int?[] values) =>
        new(ArrowType.Int32, values.Length, -1, 0,
            [Bitmap([.. values.Select(v => v.HasValue)]), Ints32([.. values.Select(v => v ?? Garbage)])]);

    public static ArrayData WithValue(ArrayData int32, int slot, int value)
    {
        var data = int32.Buffers[1].ToArray();
        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan((int32.Offset + slot) * 4), value);
        return new ArrayData(int32.Type, int32.Length, -1, int32.Offset, [int32.Buffers[0], data], int32.Children, int32.Dictionary);
    }

    public static ArrayData WithoutValidity(ArrayData array) =>
        new(array.Type, array.Length, 0, array.Offset, [default, .. array.Buffers.Skip(1)], array.Children, array.Dictionary);

    /// <summary>The same array with slot <paramref name="slot"/> marked null (its bytes left in place).</summary>
    public static ArrayData WithNull(this ArrayData array, int slot)
    {
        var bits = array.ValidityBitmap.IsEmpty
            ? Bitmap([.. Enumerable.Repeat(true, array.Offset + array.Length)])
            : array.Buffers[0].ToArray();
        BitUtil.SetBit(bits, array.Offset + slot, false);
        return new ArrayData(array.Type, array.Length, -1, array.Offset, [bits, .. array.Buffers.Skip(1)], array.Children, array.Dictionary);
    }

    public static ArrayData Utf8(params string?[] values) => VarBinary(ArrowType.Utf8, 4, values.Select(v => v is null ? null : Encoding.UTF8.GetBytes(v)).ToArray());

    public static ArrayData LargeUtf8(params string?[] values) => VarBinary(ArrowType.LargeUtf8, 8, values.Select(v => v is null ? null : Encoding.UTF8.GetBytes(v)).ToArray());

    public static ArrayData Binary(params byte[]?[] values) => VarBinary(ArrowType.Binary, 4, values);

    private static ArrayData VarBinary(ArrowType type, int offsetWidth, byte[]?[] values)
    {
        var offsets = new byte[(values.Length + 1) * offsetWidth];
        using var data = new MemoryStream();
        for (int i = 0; i < values.Length; i++)
        {
            data.Write(values[i] ?? []);
            if (offsetWidth == 4)
            {
                BinaryPrimitives.WriteInt32LittleEndian(offsets.AsSpan((i + 1) * 4), (int)data.Length);
            }
            else
            {
                BinaryPrimitives.WriteInt64LittleEndian(offsets.AsSpan((i + 1) * 8), data.Length);
            }
        }

        return new ArrayData(type, values.Length, -1, 0, [Bitmap([.. values.Select(v => v is not null)]), offsets, data.ToArray()]);
    }

    /// <summary>A utf8 view array; <paramref name="spread"/> puts long values in a second buffer behind filler bytes.</summary>
    public static ArrayData Utf8View(string?[] values, bool spread)
    {
        var views = new byte[values.Length * 16];
        var first = new MemoryStream();
        var second = new MemoryStream();
        second.Write("filler"u8);
        for (int i = 0; i < values.Length; i++)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(values[i] ?? "");
            var view = views.AsSpan(i * 16, 16);
            BinaryPrimitives.WriteInt32LittleEndian(view, bytes.Length);
            if (bytes.Length <= 12)
            {
                bytes.CopyTo(view[4..]);
                continue;
            }

            var target = spread ? second : first;
            bytes.AsSpan(0, 4).CopyTo(view[4..]);
            BinaryPrimitives.WriteInt32LittleEndian(view[8..], spread ? 1 : 0);
            BinaryPrimitives.WriteInt32LittleEndian(view[12..], (int)target.Length);
            target.Write(bytes);
        }

        return new ArrayData(ArrowType.Utf8View, values.Length, -1, 0,
            [Bitmap([.. values.Select(v => v is not null)]), views, first.ToArray(), second.ToArray()]);
    }

    public static ArrayData FixedSizeBinary(int width, params byte[][] values) =>
        new(ArrowType.FixedSizeBinary(width), values.Length, -1, 0, [default, values.SelectMany(v => v).ToArray()]);

    /// <summary>Fixed-width values given as int32 words per slot (e.g. decimals, intervals).</summary>
    public static ArrayData Fixed(ArrowType type, int width, int[][] words, bool[] valid)
    {
        var bytes = new byte[words.Length * width];
        for (int i = 0; i < words.Length; i++)
        {
            Ints32(words[i]).CopyTo(bytes.AsSpan(i * width));
        }

        return new ArrayData(type, words.Length, -1, 0, [Bitmap(valid), bytes]);
    }

    public static ArrayData Boolean(params bool[] values) =>
        new(ArrowType.Boolean, values.Length, 0, 0, [default, Bitmap(values)]);

    public static ArrayData Float64(params double[] values) =>
        new(ArrowType.Float64, values.Length, 0, 0, [default, values.SelectMany(BitConverter.GetBytes).ToArray()]);

    public static ArrayData List(ArrayData child, int[] offsets, byte[] validity) =>
        new(ArrowType.List(new Field("item", child.Type)), offsets.Length - 1, -1, 0, [validity, Ints32(offsets)], [child]);

    public static ArrayData Dictionary(ArrowType indexType, ArrayData dictionary, params int?[] indices)
    {
        int width = indexType.BitWidth / 8;
        var bytes = new byte[indices.Length * width];
        for (int i = 0; i < indices.Length; i++)
        {
            long v = indices[i] ?? 0;
            for (int b = 0; b < width; b++)
            {
                bytes[(i * width) + b] = (byte)(v >> (8 * b));
            }
        }

        return new ArrayData(ArrowType.Dictionary(indexType, dictionary.Type), indices.Length, -1, 0,
            [Bitmap([.. indices.Select(v => v.HasValue)]), bytes], dictionary: dictionary);
    }
}
