using System.Buffers.Binary;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Canonical;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Tests.Canonical;

/// <summary>Single normalisation rules on hand-made arrays, and the checks on bytes from outside.</summary>
public class CanonicalRuleTests
{
    private static ArrayData Column(ArrowType type, params object?[] values) =>
        RandomBatches.Build(new Schema([new Field("c", type)]), values.Select(v => new[] { v })).Column(0);

    [Fact]
    public void Schema_metadata_is_sorted_at_every_depth_and_what_needs_no_sorting_keeps_its_instance()
    {
        KeyValuePair<string, string>[] unsorted = [new("b", "2"), new("a", "1")];
        var first = new Field("first", ArrowType.Int64, metadata: [new("k", "v")]);
        var nested = new Field("nested", ArrowType.Struct(new Field("x", ArrowType.Int32), new Field("y", ArrowType.Utf8, metadata: unsorted)));
        var last = new Field("last", ArrowType.List(new Field("item", ArrowType.Int32)));
        var schema = new Schema([first, nested, last], [new("m", "1")]);

        var sorted = CanonicalArrays.Normalize(schema);

        Assert.NotSame(schema, sorted);
        Assert.Same(first, sorted.Fields[0]);
        Assert.Same(last, sorted.Fields[2]);
        var children = sorted.Fields[1].Type.Children;
        Assert.Same(nested.Type.Children[0], children[0]);
        Assert.Equal(["a", "b"], children[1].Metadata.Select(p => p.Key));
        Assert.Equal([KeyValuePair.Create("m", "1")], sorted.Metadata.ToArray());
        // Sorted already: the same schema back, and the same again.
        Assert.Same(sorted, CanonicalArrays.Normalize(sorted));
        Assert.Same(last.Type, MetadataFreeList(last).Type);

        static Field MetadataFreeList(Field field) => CanonicalArrays.Normalize(new Schema([field])).Fields[0];
    }

    [Fact]
    public void Plain_integer_columns_come_back_as_they_are_without_allocating_and_near_misses_are_still_normalised()
    {
        static ArrayData Plain(ArrowType type, int width, int length, int extraBytes = 0, int offset = 0, byte[]? validity = null)
        {
            byte[] values = new byte[((length + offset) * width) + extraBytes];
            new Random(length + width).NextBytes(values);
            return new ArrayData(type, length, 0, offset, [validity ?? ReadOnlyMemory<byte>.Empty, values]);
        }

        var schema = new Schema([new Field("a", ArrowType.Int32), new Field("b", ArrowType.Int64), new Field("c", ArrowType.Timestamp(TimeUnit.Microsecond, "UTC")), new Field("d", ArrowType.UInt8)]);
        var batch = new RecordBatch(schema, 11, [Plain(ArrowType.Int32, 4, 11), Plain(ArrowType.Int64, 8, 11), Plain(ArrowType.Timestamp(TimeUnit.Microsecond, "UTC"), 8, 11), Plain(ArrowType.UInt8, 1, 11)]);
        Assert.Same(batch, CanonicalArrays.Normalize(batch));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var again = CanonicalArrays.Normalize(batch);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before); // a 1 KiB publish normalises every time
        Assert.Same(batch, again);
        Assert.All(batch.Columns, column => Assert.Same(column, CanonicalArrays.Normalize(column))); // the full path agrees

        // Not canonical as they are: trailing bytes, an all-valid bitmap, an offset, a float's NaN payload.
        var one = new Schema([new Field("x", ArrowType.Int64)]);
        var trailing = CanonicalArrays.Normalize(new RecordBatch(one, 11, [Plain(ArrowType.Int64, 8, 11, extraBytes: 8)]));
        Assert.Equal(88, trailing.Column(0).Buffers[1].Length);
        var bitmap = CanonicalArrays.Normalize(new RecordBatch(one, 11, [Plain(ArrowType.Int64, 8, 11, validity: [0xFF, 0x07])]));
        Assert.True(bitmap.Column(0).Buffers[0].IsEmpty);
        var shifted = CanonicalArrays.Normalize(new RecordBatch(one, 11, [Plain(ArrowType.Int64, 8, 11, offset: 1)]));
        Assert.Equal(0, shifted.Column(0).Offset);
        byte[] nan = BitConverter.GetBytes(0xFFF0000000000001ul);
        var floats = new RecordBatch(new Schema([new Field("f", ArrowType.Float64)]), 1, [new ArrayData(ArrowType.Float64, 1, 0, 0, [ReadOnlyMemory<byte>.Empty, nan])]);
        Assert.Equal([0x7FF8000000000000ul], CanonicalArrays.Normalize(floats).Column(0).GetValues<ulong>().ToArray());
    }

    [Fact]
    public void Every_NaN_becomes_the_quiet_NaN_and_negative_zero_stays()
    {
        var floats = Column(ArrowType.Float32, BitConverter.UInt32BitsToSingle(0xFFC00123), -0.0f, BitConverter.UInt32BitsToSingle(0x7F800001));
        var doubles = Column(ArrowType.Float64, BitConverter.UInt64BitsToDouble(0xFFF0000000000001), -0.0);
        var halves = Column(ArrowType.Float16, BitConverter.UInt16BitsToHalf(0xFE01), BitConverter.UInt16BitsToHalf(0x8000));
        Assert.Equal([0x7FC00000u, 0x80000000u, 0x7FC00000u], CanonicalArrays.Normalize(floats).GetValues<uint>().ToArray());
        Assert.Equal([0x7FF8000000000000ul, 0x8000000000000000ul], CanonicalArrays.Normalize(doubles).GetValues<ulong>().ToArray());
        Assert.Equal([(ushort)0x7E00, (ushort)0x8000], CanonicalArrays.Normalize(halves).GetValues<ushort>().ToArray());
    }

    [Fact]
    public void Dictionary_keeps_used_distinct_values_in_first_use_order_and_nulls_indices_to_null_values()
    {
        // Dictionary ["z", null, "a", "z", "unused"]; indices [3, 2, 1, 0, null]: "z" twice, a null value, an unused entry.
        var dictionary = Column(ArrowType.Utf8, "z", null, "a", "z", "unused");
        var type = ArrowType.Dictionary(ArrowType.Int8, ArrowType.Utf8);
        var indices = new ArrayData(type, 5, 1, 0, [new byte[] { 0b01111 }, new byte[] { 3, 2, 1, 0, 7 }], null, dictionary);
        var canonical = CanonicalArrays.Normalize(indices);
        Assert.Equal(new[] { "z", "a" }, Enumerable.Range(0, canonical.Dictionary!.Length).Select(canonical.Dictionary.GetString));
        Assert.Equal(new sbyte[] { 0, 1, 0, 0, 0 }, canonical.GetValues<sbyte>().ToArray());
        Assert.Equal([true, true, false, true, false], Enumerable.Range(0, 5).Select(canonical.IsValid));
        Assert.Equal(0, canonical.Dictionary.NullCount);
    }

    [Fact]
    public void Run_end_encoding_merges_equal_adjacent_runs_and_nulls()
    {
        var type = ArrowType.RunEndEncoded(ArrowType.Int16, new Field("values", ArrowType.Utf8));
        var runEnds = new ArrayData(ArrowType.Int16, 5, 0, 0, [ReadOnlyMemory<byte>.Empty, ShortBytes(1, 3, 4, 5, 7)]);
        var values = Column(ArrowType.Utf8, "x", "x", null, null, "y");
        var canonical = CanonicalArrays.Normalize(new ArrayData(type, 7, 0, 0, [], [runEnds, values]));
        Assert.Equal(new short[] { 3, 5, 7 }, canonical.Children[0].GetValues<short>().ToArray());
        Assert.Equal([true, false, true], Enumerable.Range(0, 3).Select(canonical.Children[1].IsValid));
    }

    [Fact]
    public void Children_of_null_struct_slots_become_null_and_zero()
    {
        var type = ArrowType.Struct(new Field("a", ArrowType.Int32, nullable: false));
        var child = new ArrayData(ArrowType.Int32, 2, 0, 0, [ReadOnlyMemory<byte>.Empty, IntBytes(7, 9)]);
        var parent = new ArrayData(type, 2, 1, 0, [new byte[] { 0b10 }], [child]);
        var a = CanonicalArrays.Normalize(parent).Children[0];
        Assert.Equal((1, false, 0, 9), (a.NullCount, a.IsValid(0), a.GetValues<int>()[0], a.GetValues<int>()[1]));
    }

    [Fact]
    public void Normalize_returns_canonical_input_itself()
    {
        var batch = CanonicalVectors.DictionaryAndList();
        var bytes = CanonicalEncoder.Encode(batch);
        using var reader = new ArrowStreamReader(bytes.AsMemory());
        var read = reader.ReadNext()!;
        Assert.Same(read, CanonicalArrays.Normalize(read));
        Assert.Same(read.Column(1).Children[0], CanonicalArrays.Normalize(read.Column(1)).Children[0]);
    }

    [Fact]
    public void Verify_rejects_bytes_that_are_not_exactly_one_canonical_batch()
    {
        var batch = CanonicalVectors.Mixed();
        var bytes = CanonicalEncoder.Encode(batch);
        Assert.Equal(Cid.ForRaw(bytes), CanonicalEncoder.VerifyCanonical(bytes.AsSpan()));
        Assert.True(CanonicalEncoder.IsCanonical(bytes.AsSpan()));

        Assert.False(CanonicalEncoder.IsCanonical([.. bytes, 0]));
        Assert.False(CanonicalEncoder.IsCanonical(bytes.AsSpan(0, bytes.Length - 8)));
        Assert.False(CanonicalEncoder.IsCanonical(new byte[] { 1, 2, 3 }.AsSpan()));

        var unsorted = new MemoryStream();
        using (var writer = new ArrowStreamWriter(unsorted, batch.Schema, leaveOpen: true))
        {
            writer.Write(batch);
        }

        var error = Assert.Throws<ContentFormatException>(() => CanonicalEncoder.VerifyCanonical(unsorted.ToArray().AsMemory()));
        Assert.True(error.Offset >= 0);

        var twoBatches = new MemoryStream();
        using (var writer = new ArrowStreamWriter(twoBatches, batch.Schema, CanonicalEncoder.WriteOptions, leaveOpen: true))
        {
            writer.Write(batch);
            writer.Write(batch);
        }

        Assert.Contains("more than one", Assert.Throws<ContentFormatException>(() => CanonicalEncoder.VerifyCanonical(twoBatches.ToArray().AsMemory())).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ComputeCid_hashes_the_bytes_Encode_writes()
    {
        var batch = CanonicalVectors.StructViewAndRuns();
        var bytes = CanonicalEncoder.Encode(batch);
        var stream = new MemoryStream();
        CanonicalEncoder.Encode(batch, stream);
        Assert.Equal(bytes, stream.ToArray());
        Assert.Equal((Cid.ForRaw(bytes), (long)bytes.Length), CanonicalEncoder.ComputeCidAndLength(batch));
    }

    private static byte[] ShortBytes(params short[] values)
    {
        var bytes = new byte[values.Length * 2];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(i * 2), values[i]);
        }

        return bytes;
    }

    private static byte[] IntBytes(params int[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(i * 4), values[i]);
        }

        return bytes;
    }
}
