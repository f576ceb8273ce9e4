using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.CData;
using ArrowCid.Arrow.Integration;
using ArrowCid.Arrow.Tests.Arrays;
using ArrowCid.Arrow.Tests.Integration;
using ArrowCid.Arrow.Types;
using static ArrowCid.Arrow.Tests.CData.CDataTestUtil;
using ArrowCid.Arrow.Tests.Ipc;

namespace ArrowCid.Arrow.Tests.CData;

public class CDataRoundTripTests
{
    public static TheoryData<string> Cases => GoldenFiles.Theory();

    [Fact]
    public void Structures_have_the_C_layout()
    {
        Assert.Equal(CAbi.SchemaSize, Unsafe.SizeOf<CArrowSchema>());
        Assert.Equal(CAbi.ArraySize, Unsafe.SizeOf<CArrowArray>());
        Assert.Equal(CAbi.StreamSize, Unsafe.SizeOf<CArrowArrayStream>());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_golden_batch_round_trips_whole_and_sliced(string goldenCase)
    {
        var file = IntegrationJson.Read(GoldenFiles.JsonPath(goldenCase));
        var schema = RoundTrip(file.Schema);
        Assert.Null(ArrayEquality.SchemaDifference(file.Schema, schema));
        foreach (var batch in file.Batches)
        {
            AssertRoundTrips(batch);
            if (batch.Length >= 3)
            {
                AssertRoundTrips(batch.Slice(1, batch.Length - 2));
            }
        }
    }

    [Fact]
    public void View_types_round_trip_with_their_variadic_buffers()
    {
        var text = TestArrays.Utf8View(["short", "a value longer than twelve bytes", null, "another long value here", "x"], spread: true);
        var binary = new ArrayData(ArrowType.BinaryView, text.Length, -1, text.Offset, text.Buffers);
        var batch = Batch(("s", text), ("b", binary));
        AssertRoundTrips(batch);
        AssertRoundTrips(batch.Slice(1, 3));
        using var imported = RoundTrip(batch);
        Assert.Equal(text.Buffers.Length, imported.Column(0).Buffers.Length);
        Assert.Equal("another long value here", imported.Column(0).GetString(3));
    }

    [Fact]
    public void List_views_and_sliced_run_end_encoding_round_trip()
    {
        var item = new Field("item", ArrowType.Int32);
        var listView = new ArrayData(ArrowType.ListView(item), 3, -1, 0,
            [TestArrays.Bitmap(true, false, true), TestArrays.Ints32(3, 0, 0), TestArrays.Ints32(2, 0, 3)], [TestArrays.Int32(7, 8, 9, 1, 2)]);
        var largeOffsets = new byte[24];
        var largeSizes = new byte[24];
        BinaryPrimitives.WriteInt64LittleEndian(largeOffsets.AsSpan(8), 1);
        BinaryPrimitives.WriteInt64LittleEndian(largeSizes.AsSpan(0), 2);
        BinaryPrimitives.WriteInt64LittleEndian(largeSizes.AsSpan(8), 2);
        var largeListView = new ArrayData(ArrowType.LargeListView(item), 3, -1, 0, [default, largeOffsets, largeSizes], [TestArrays.Int32(4, 5, 6)]);
        var reeType = ArrowType.RunEndEncoded(ArrowType.Int16, new Field("values", ArrowType.Utf8));
        var runEnds = new ArrayData(ArrowType.Int16, 3, 0, 0, [default, new byte[] { 1, 0, 4, 0, 6, 0 }]);
        var ree = new ArrayData(reeType, 6, 0, 0, [], [runEnds, TestArrays.Utf8("a", null, "c")]);
        var batch = Batch(("lv", listView), ("llv", largeListView), ("ree", ree.Slice(2, 3)));
        AssertRoundTrips(batch);
        AssertRoundTrips(batch.Slice(1, 2));
        using var imported = RoundTrip(batch);
        Assert.Equal(2, imported.Column(2).Offset);
    }

    [Fact]
    public void Fixed_width_types_without_golden_files_round_trip()
    {
        var schema = new Schema([
            new Field("h", ArrowType.Float16),
            new Field("d32", ArrowType.Decimal(9, 2, 32)),
            new Field("d64", ArrowType.Decimal(18, -3, 64)),
            new Field("d256", ArrowType.Decimal(40, 5, 256)),
            new Field("mdn", ArrowType.IntervalMonthDayNano),
            new Field("ts", ArrowType.Timestamp(TimeUnit.Nanosecond, "+07:30")),
            new Field("t", ArrowType.Time(TimeUnit.Millisecond)),
            new Field("dur", ArrowType.Duration(TimeUnit.Second)),
            new Field("fsb", ArrowType.FixedSizeBinary(3), false),
            new Field("n", ArrowType.Null),
        ]);
        var builder = new RecordBatchBuilder(schema);
        for (int i = 0; i < 20; i++)
        {
            bool none = i % 4 == 1;
            builder.AppendRow(
                none ? null : (Half)(i * 0.5),
                none ? null : i * 1.25m,
                none ? null : (long)i * 7000,
                none ? null : i * 3.5m,
                none ? null : (i, -i, (long)i * 1_000_000_007),
                none ? null : (long)i * 1_000_000_000_123,
                none ? null : (long)i * 1000,
                none ? null : (long)-i,
                new byte[] { (byte)i, 1, 2 },
                null);
        }

        using var batch = builder.Build();
        AssertRoundTrips(batch);
        AssertRoundTrips(batch.Slice(5, 11));
    }

    [Fact]
    public void Nested_types_round_trip_whole_and_sliced()
    {
        var point = ArrowType.Struct(new Field("x", ArrowType.Int32), new Field("label", ArrowType.Utf8));
        var schema = new Schema([
            new Field("list", ArrowType.List(new Field("item", ArrowType.Int64))),
            new Field("large", ArrowType.LargeList(new Field("item", ArrowType.Utf8))),
            new Field("fixed", ArrowType.FixedSizeList(new Field("item", ArrowType.Int16), 2)),
            new Field("point", point, true, [new("k", "v")]),
            new Field("nested", ArrowType.Struct(new Field("inner", point), new Field("b", ArrowType.Boolean))),
            new Field("map", ArrowType.Map(ArrowType.Utf8, ArrowType.Int32, keysSorted: true)),
            new Field("sparse", ArrowType.Union(false, [new Field("i", ArrowType.Int32), new Field("s", ArrowType.Utf8)], [5, 9])),
            new Field("dense", ArrowType.Union(true, [new Field("i", ArrowType.Int32), new Field("s", ArrowType.Utf8)])),
            new Field("dict", ArrowType.Dictionary(ArrowType.Int8, ArrowType.Utf8, ordered: true)),
            new Field("uuid", ArrowType.Extension("arrow.uuid", null, ArrowType.FixedSizeBinary(16))),
            new Field("ree", ArrowType.RunEndEncoded(ArrowType.Int32, new Field("values", ArrowType.Float64))),
        ], [new("schema-key", "schema value"), new("second", "")]);
        var builder = new RecordBatchBuilder(schema);
        for (int i = 0; i < 30; i++)
        {
            bool none = i % 5 == 2;
            builder.AppendRow(
                none ? null : Enumerable.Range(0, i % 4).Select(k => (object?)(long)(i * k)).ToList(),
                none ? null : new object?[] { "a" + i, null },
                none ? null : new object?[] { (short)i, (short)-i },
                none ? null : new object?[] { i, "p" + i },
                none ? null : new object?[] { i % 3 == 0 ? null : new object?[] { -i, null }, i % 2 == 0 },
                none ? null : new[] { new KeyValuePair<string, object?>("k" + i, i), new KeyValuePair<string, object?>("z", null) },
                i % 2 == 0 ? ((sbyte)5, (object?)i) : ((sbyte)9, (object?)("s" + i)),
                i % 3 == 0 ? ((sbyte)1, (object?)("d" + i)) : ((sbyte)0, (object?)(none ? null : i)),
                none ? null : "v" + (i % 4),
                none ? null : Guid.NewGuid().ToByteArray(),
                (double)(i / 4));
        }

        using var batch = builder.Build();
        AssertRoundTrips(batch);
        AssertRoundTrips(batch.Slice(3, 20));
        AssertRoundTrips(batch.Slice(7, 1).Slice(0, 1));
        using var imported = RoundTrip(batch.Slice(3, 20));
        Assert.Equal("schema value", imported.Schema.GetMetadata("schema-key"));
        Assert.Equal(ArrowTypeId.Extension, imported.Schema.Fields[9].Type.Id);
        Assert.True(imported.Schema.Fields[8].Type.Ordered);
        Assert.True(imported.Schema.Fields[5].Type.KeysSorted);
    }

    [Fact]
    public void Struct_children_that_start_before_the_parent_offset_are_materialised()
    {
        // A struct at offset 2 whose children are at offset 0: no C offsets can express it without a copy.
        var x = TestArrays.Int32(1, 2, 3);
        var s = TestArrays.Utf8("a", null, "c");
        var structType = ArrowType.Struct(new Field("x", ArrowType.Int32), new Field("s", ArrowType.Utf8));
        var misaligned = new ArrayData(structType, 3, -1, 2, [TestArrays.Bitmap(true, true, true, false, true)], [x, s]);
        var batch = Batch(("st", misaligned));
        using var imported = RoundTrip(batch);
        Assert.True(ArrayEquality.Equals(batch, imported, out string? difference), difference);
        Assert.True(imported.Column(0).IsNull(1));
        Assert.Equal(3, imported.Column(0).Children[0].GetValues<int>()[2]);
    }

    [Fact]
    public void A_sliced_struct_is_exported_zero_copy_with_C_offsets()
    {
        var structType = ArrowType.Struct(new Field("x", ArrowType.Int32));
        var whole = new ArrayData(structType, 5, -1, 0, [TestArrays.Bitmap(true, false, true, true, true)], [TestArrays.Int32(10, 11, 12, 13, 14)]);
        var slice = whole.Slice(2, 3);
        nint array = CAbi.Alloc(CAbi.ArraySize);
        try
        {
            CArrowArrayExporter.Export(slice, array);
            Assert.Equal(2, CAbi.ReadLong(array, CAbi.ArrayOffset));
            Assert.Equal(3, CAbi.ReadLong(array, CAbi.ArrayLength));
            nint child = CAbi.Read(CAbi.Read(array, CAbi.ArrayChildren), 0);
            // C consumers slice the child by the parent offset: it starts at 0 and covers offset + length.
            Assert.Equal(0, CAbi.ReadLong(child, CAbi.ArrayOffset));
            Assert.Equal(5, CAbi.ReadLong(child, CAbi.ArrayLength));
            using var imported = CArrowArrayImporter.ImportArray(array, structType);
            Assert.True(ArrayEquality.Equals(slice, imported.Array, out string? difference), difference);
            Assert.Equal(2, imported.Array.Offset);
            Assert.Equal(3, imported.Array.Children[0].Length);
        }
        finally
        {
            CAbi.Free(array, CAbi.ArrayRelease);
        }
    }

    [Fact]
    public void Null_and_union_arrays_have_the_C_buffer_counts()
    {
        var union = ArrowType.Union(true, [new Field("i", ArrowType.Int32)]);
        var dense = new ArrayData(union, 2, 0, 0, [new byte[] { 0, 0 }, TestArrays.Ints32(0, 1)], [TestArrays.Int32(4, 5)]);
        var text = TestArrays.Utf8View(["a value longer than twelve bytes"], spread: false);
        foreach (var (array, buffers) in new[] { (new ArrayData(ArrowType.Null, 4, 4, 0, []), 0L), (dense, 2L), (text, text.Buffers.Length + 1L) })
        {
            nint c = CAbi.Alloc(CAbi.ArraySize);
            try
            {
                CArrowArrayExporter.Export(array, c);
                Assert.Equal(buffers, CAbi.ReadLong(c, CAbi.ArrayNBuffers));
                using var imported = CArrowArrayImporter.ImportArray(c, array.Type);
                Assert.True(ArrayEquality.Equals(array, imported.Array, out string? difference), difference);
            }
            finally
            {
                CAbi.Free(c, CAbi.ArrayRelease);
            }
        }
    }
}
