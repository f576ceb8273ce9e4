using System.Buffers.Binary;
using System.Text.Json;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Integration;
using ArrowCid.Arrow.Tests.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Tests.Integration;

/// <summary>Types the golden files do not cover, built by hand, written to JSON and read back.</summary>
public class IntegrationModelRoundTripTests
{
    private static IntegrationFile RoundTrip(IntegrationFile file) => IntegrationJson.Parse(IntegrationJson.ToJson(file));

    private static IntegrationFile OneBatch(params (Field Field, ArrayData Array)[] columns)
    {
        var schema = new Schema(columns.Select(c => c.Field));
        return new IntegrationFile(schema, [new RecordBatch(schema, columns[0].Array.Length, columns.Select(c => c.Array))]);
    }

    private static void AssertRoundTrips(IntegrationFile file)
    {
        var again = RoundTrip(file);
        Assert.Null(ArrayEquality.SchemaDifference(file.Schema, again.Schema));
        for (int b = 0; b < file.Batches.Count; b++)
        {
            Assert.True(ArrayEquality.Equals(file.Batches[b], again.Batches[b], out string? difference), difference);
        }
    }

    [Fact]
    public void View_types_round_trip_with_inlined_and_buffered_values()
    {
        var text = TestArrays.Utf8View(["short", "a value longer than twelve bytes", null, "another long value here"], spread: true);
        var binary = new ArrayData(ArrowType.BinaryView, text.Length, -1, text.Offset, text.Buffers);
        var file = OneBatch((new Field("s", ArrowType.Utf8View), text), (new Field("b", ArrowType.BinaryView), binary));
        AssertRoundTrips(file);

        using var json = JsonDocument.Parse(IntegrationJson.ToJson(file));
        var column = json.RootElement.GetProperty("batches")[0].GetProperty("columns")[0];
        Assert.Equal("short", column.GetProperty("VIEWS")[0].GetProperty("INLINED").GetString());
        Assert.Equal(1, column.GetProperty("VIEWS")[1].GetProperty("BUFFER_INDEX").GetInt32());
        Assert.Equal(2, column.GetProperty("VARIADIC_DATA_BUFFERS").GetArrayLength());
    }

    [Fact]
    public void List_views_run_end_encoding_and_sliced_runs_round_trip()
    {
        var item = new Field("item", ArrowType.Int32);
        var listView = new ArrayData(ArrowType.ListView(item), 3, -1, 0,
            [TestArrays.Bitmap(true, false, true), TestArrays.Ints32(3, 0, 0), TestArrays.Ints32(2, 0, 3)], [TestArrays.Int32(7, 8, 9, 1, 2)]);
        var largeOffsets = new byte[24];
        var largeSizes = new byte[24];
        BinaryPrimitives.WriteInt64LittleEndian(largeOffsets.AsSpan(8), 1);
        BinaryPrimitives.WriteInt64LittleEndian(largeSizes.AsSpan(0), 2);
        BinaryPrimitives.WriteInt64LittleEndian(largeSizes.AsSpan(8), 2);
        var largeListView = new ArrayData(ArrowType.LargeListView(item), 3, -1, 0,
            [default, largeOffsets, largeSizes], [TestArrays.Int32(4, 5, 6)]);
        var reeType = ArrowType.RunEndEncoded(ArrowType.Int16, new Field("values", ArrowType.Utf8));
        var runEnds = new ArrayData(ArrowType.Int16, 3, 0, 0, [default, new byte[] { 1, 0, 4, 0, 6, 0 }]);
        var ree = new ArrayData(reeType, 5, 0, 0, [], [runEnds, TestArrays.Utf8("a", null, "c")]).Slice(0, 3);
        var file = OneBatch((new Field("lv", listView.Type), listView), (new Field("llv", largeListView.Type), largeListView), (new Field("ree", reeType), ree));
        AssertRoundTrips(file);

        // Slots 3..4 of [a][null null null][c] are rewritten as runs from 0: [null][c].
        var reeTail = new ArrayData(reeType, 5, 0, 0, [], [runEnds, TestArrays.Utf8("a", null, "c")]).Slice(3, 2);
        var tail = OneBatch((new Field("ree", reeType), reeTail));
        AssertRoundTrips(tail);
        using var json = JsonDocument.Parse(IntegrationJson.ToJson(tail));
        var children = json.RootElement.GetProperty("batches")[0].GetProperty("columns")[0].GetProperty("children");
        Assert.Equal([1, 2], children[0].GetProperty("DATA").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(2, children[1].GetProperty("count").GetInt32());
    }

    [Fact]
    public void Remaining_fixed_width_types_round_trip_exactly()
    {
        var nano = new byte[32];
        BinaryPrimitives.WriteInt32LittleEndian(nano, -3);
        BinaryPrimitives.WriteInt32LittleEndian(nano.AsSpan(4), 17);
        BinaryPrimitives.WriteInt64LittleEndian(nano.AsSpan(8), long.MinValue + 1);
        var monthDayNano = new ArrayData(ArrowType.IntervalMonthDayNano, 2, 0, 0, [default, nano]);
        var half = new ArrayData(ArrowType.Float16, 3, 0, 0, [default, new byte[] { 0x00, 0x3C, 0x01, 0x7E, 0x00, 0xFC }]);  // 1, NaN, -inf
        var doubles = TestArrays.Float64(double.NaN, double.PositiveInfinity, -0.0, 1e-300, 0.1);
        var dec32 = new ArrayData(ArrowType.Decimal(9, 3, 32), 1, 0, 0, [default, BitConverter.GetBytes(-123456789)]);
        var dec64 = new ArrayData(ArrowType.Decimal(18, 0, 64), 1, 0, 0, [default, BitConverter.GetBytes(999_999_999_999_999_999L)]);
        var u64 = new ArrayData(ArrowType.UInt64, 1, 0, 0, [default, BitConverter.GetBytes(ulong.MaxValue)]);
        var file = OneBatch(
            (new Field("mdn", monthDayNano.Type), monthDayNano.Slice(0, 1)),
            (new Field("h", half.Type), half.Slice(0, 1)),
            (new Field("d", doubles.Type), doubles.Slice(0, 1)),
            (new Field("d32", dec32.Type), dec32),
            (new Field("d64", dec64.Type), dec64),
            (new Field("u64", u64.Type), u64));
        AssertRoundTrips(file);
        AssertRoundTrips(OneBatch((new Field("h", half.Type), half), (new Field("d", doubles.Type), doubles.Slice(0, 3))));
        AssertRoundTrips(OneBatch((new Field("d", doubles.Type), doubles)));
    }

    [Fact]
    public void Extension_types_are_written_as_storage_plus_metadata_and_read_back_as_extensions()
    {
        var uuid = ArrowType.Extension("arrow.uuid", "", ArrowType.FixedSizeBinary(16));
        var unknown = ArrowType.Extension("example.unregistered", "p=1", ArrowType.FixedSizeBinary(2));
        var file = OneBatch(
            (new Field("u", uuid, nullable: false, [new("k", "v")]), TestArrays.FixedSizeBinary(16, Enumerable.Range(0, 16).Select(i => (byte)i).ToArray()).WithType(uuid)),
            (new Field("x", unknown, nullable: true), TestArrays.FixedSizeBinary(2, [1, 2]).WithType(unknown)));
        using (var json = JsonDocument.Parse(IntegrationJson.ToJson(file)))
        {
            var written = json.RootElement.GetProperty("schema").GetProperty("fields")[0];
            Assert.Equal("fixedsizebinary", written.GetProperty("type").GetProperty("name").GetString());
            Assert.Equal(["k", "ARROW:extension:name", "ARROW:extension:metadata"],
                written.GetProperty("metadata").EnumerateArray().Select(kv => kv.GetProperty("key").GetString()));
        }

        var again = RoundTrip(file);
        // A registered (canonical) extension comes back as itself; an unregistered one as its storage with the keys.
        var field = again.Schema.Fields[0];
        Assert.Equal(uuid, field.Type);
        Assert.Null(field.GetMetadata("ARROW:extension:name"));
        Assert.Equal("v", field.GetMetadata("k"));
        Assert.False(field.Nullable);
        var plain = again.Schema.Fields[1];
        Assert.Equal(ArrowType.FixedSizeBinary(2), plain.Type);
        Assert.Equal("example.unregistered", plain.GetMetadata("ARROW:extension:name"));
        Assert.Equal("p=1", plain.GetMetadata("ARROW:extension:metadata"));
    }

    [Fact]
    public void Dictionary_ids_follow_first_appearance_and_shared_dictionaries_are_written_once()
    {
        var values = TestArrays.Utf8("x", "y");
        var other = TestArrays.Utf8("p", "q", "r");
        var a = TestArrays.Dictionary(ArrowType.Int8, other, 2, 0);
        var b = TestArrays.Dictionary(ArrowType.Int16, values, 1, 1);
        var c = TestArrays.Dictionary(ArrowType.Int32, values, 0, null);
        var file = OneBatch((new Field("a", a.Type), a), (new Field("b", b.Type), b), (new Field("c", c.Type), c));
        string text = IntegrationJson.ToJson(file);
        using var json = JsonDocument.Parse(text);
        var fields = json.RootElement.GetProperty("schema").GetProperty("fields");
        Assert.Equal([0L, 1L, 1L], fields.EnumerateArray().Select(f => f.GetProperty("dictionary").GetProperty("id").GetInt64()));
        Assert.Equal(2, json.RootElement.GetProperty("dictionaries").GetArrayLength());
        AssertRoundTrips(file);
        var again = IntegrationJson.Parse(text).Batches[0];
        Assert.Same(again.Columns[1].Dictionary, again.Columns[2].Dictionary);
    }

    [Fact]
    public void A_field_with_different_dictionaries_in_different_batches_cannot_be_written()
    {
        var schema = new Schema([new Field("d", ArrowType.Dictionary(ArrowType.Int8, ArrowType.Utf8))]);
        var first = new RecordBatch(schema, 1, [TestArrays.Dictionary(ArrowType.Int8, TestArrays.Utf8("x"), 0)]);
        var same = new RecordBatch(schema, 1, [TestArrays.Dictionary(ArrowType.Int8, TestArrays.Utf8("x"), 0)]);
        var different = new RecordBatch(schema, 1, [TestArrays.Dictionary(ArrowType.Int8, TestArrays.Utf8("z"), 0)]);
        AssertRoundTrips(new IntegrationFile(schema, [first, same]));
        Assert.Throws<ArgumentException>(() => IntegrationJson.ToJson(new IntegrationFile(schema, [first, different])));
    }

    [Fact]
    public void Gzip_input_is_detected_by_its_magic_bytes()
    {
        var file = OneBatch((new Field("x", ArrowType.Int32), TestArrays.Int32(1, null, 3)));
        using var compressed = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(compressed, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            IntegrationJson.Write(file, gzip);
        }

        compressed.Position = 0;
        var again = IntegrationJson.Read(compressed);
        Assert.True(ArrayEquality.Equals(file.Batches[0], again.Batches[0], out string? difference), difference);
    }
}
