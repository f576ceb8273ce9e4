using System.Numerics;
using System.Runtime.InteropServices;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Printing;
using ArrowCid.Arrow.Types;
using ArrowCid.Arrow.Validation;

namespace ArrowCid.Arrow.Tests.Builders;

public class ArrayBuilderTests
{
    [Theory]
    [MemberData(nameof(SampleArrays.Names), MemberType = typeof(SampleArrays))]
    public void Built_arrays_pass_full_validation_and_give_back_their_values(string name)
    {
        var sample = SampleArrays.Get(name);
        var array = SampleArrays.Build(sample);

        ArrayValidator.Validate(array, ValidationLevel.Full);
        Assert.Equal(sample.Values.Length, array.Length);
        Assert.Equal(sample.Type, array.Type);
        for (int i = 0; i < array.Length; i++)
        {
            var actual = ArrayPrinter.GetValue(array, i);
            Assert.True(DeepEquality.AreEqual(sample.ExpectedValues[i], actual), $"slot {i}: expected {sample.ExpectedValues[i]}, got {actual}");
        }
    }

    [Theory]
    [MemberData(nameof(SampleArrays.Names), MemberType = typeof(SampleArrays))]
    public void Built_arrays_are_tidy(string name)
    {
        var array = SampleArrays.Build(SampleArrays.Get(name));
        AssertTidy(array);
    }

    private static void AssertTidy(ArrayData array)
    {
        Assert.Equal(0, array.Offset);
        foreach (var buffer in array.Buffers)
        {
            Assert.Equal(0, buffer.Length % 8);
        }

        if (array.Layout.HasValidity)
        {
            Assert.Equal(array.NullCount == 0, array.Buffers[0].IsEmpty);
            if (!array.Buffers[0].IsEmpty)
            {
                // Bits past the length are zero.
                var bits = array.Buffers[0].Span;
                for (int i = array.Length; i < bits.Length * 8; i++)
                {
                    Assert.False(ArrowCid.Arrow.Memory.BitUtil.GetBit(bits, i));
                }
            }
        }

        foreach (var child in array.Children)
        {
            AssertTidy(child);
        }

        if (array.Dictionary is not null)
        {
            AssertTidy(array.Dictionary);
        }
    }

    [Fact]
    public void Validity_is_omitted_without_nulls_and_present_with_them()
    {
        var builder = new PrimitiveBuilder<int>(ArrowType.Int32);
        builder.AppendRange([1, 2, 3]);
        var noNulls = builder.Build();
        Assert.True(noNulls.Buffers[0].IsEmpty);
        Assert.Equal(0, noNulls.NullCount);
        Assert.Equal(new byte[] { 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0 }, noNulls.Buffers[1].ToArray());

        builder.Append(7);
        builder.AppendNull();
        var withNull = builder.Build();
        Assert.Equal(new byte[] { 0b01, 0, 0, 0, 0, 0, 0, 0 }, withNull.Buffers[0].ToArray());
        Assert.Equal(1, withNull.NullCount);
        Assert.Equal(new byte[] { 7, 0, 0, 0, 0, 0, 0, 0 }, withNull.Buffers[1].ToArray());
    }

    [Fact]
    public void Primitive_builder_bulk_append_crosses_byte_boundaries_of_the_bitmap()
    {
        var builder = new PrimitiveBuilder<long>(ArrowType.Int64);
        builder.AppendNull();
        builder.AppendRange(Enumerable.Range(0, 20).Select(i => (long)i).ToArray());
        builder.AppendNull();
        var array = builder.Build();
        ArrayValidator.Validate(array, ValidationLevel.Full);
        Assert.Equal(22, array.Length);
        Assert.Equal(2, array.NullCount);
        Assert.True(array.IsNull(0));
        Assert.True(array.IsNull(21));
        Assert.Equal(19L, array.GetValues<long>()[20]);
    }

    [Fact]
    public void Primitive_builder_rejects_a_type_of_another_width()
    {
        Assert.Throws<ArgumentException>(() => new PrimitiveBuilder<int>(ArrowType.Int64));
    }

    [Fact]
    public void Binary_builder_writes_offsets_and_data()
    {
        var builder = new BinaryBuilder(ArrowType.Utf8);
        builder.Append("ab");
        builder.AppendNull();
        builder.Append([0x63]);
        var array = builder.Build();
        Assert.Equal(new int[] { 0, 2, 2, 3 }, MemoryMarshal.Cast<byte, int>(array.Buffers[1].Span)[..4].ToArray());
        Assert.Equal("abc", System.Text.Encoding.UTF8.GetString(array.Buffers[2].Span[..3]));
        Assert.Equal(8, array.Buffers[2].Length);
    }

    [Fact]
    public void Empty_builders_build_valid_empty_arrays()
    {
        foreach (var sample in SampleArrays.All)
        {
            var array = ArrayBuilder.Create(sample.Type).Build();
            Assert.Equal(0, array.Length);
            ArrayValidator.Validate(array, ValidationLevel.Full);
        }
    }

    [Fact]
    public void Builders_can_be_reused_after_build()
    {
        var builder = ArrayBuilder.Create(ArrowType.List(new Field("item", ArrowType.Utf8)));
        builder.Append(new[] { "a" });
        builder.Build();
        builder.Append(new[] { "b", "c" });
        var second = builder.Build();
        Assert.Equal(1, second.Length);
        Assert.Equal("[b, c]", ArrayPrinter.FormatValue(second, 0));
    }

    [Fact]
    public void Integers_of_any_clr_type_convert_with_range_checks()
    {
        var builder = ArrayBuilder.Create(ArrowType.Int16);
        builder.Append(5L);
        builder.Append((byte)6);
        builder.Append(new BigInteger(-7));
        builder.Append(Int128.One);
        var array = builder.Build();
        Assert.Equal(new short[] { 5, 6, -7, 1 }, array.GetValues<short>().ToArray());
        Assert.Throws<OverflowException>(() => ArrayBuilder.Create(ArrowType.Int16).Append(40000));
        Assert.Throws<OverflowException>(() => ArrayBuilder.Create(ArrowType.UInt8).Append(-1));
        Assert.Throws<ArgumentException>(() => ArrayBuilder.Create(ArrowType.Int32).Append("1"));
    }

    [Fact]
    public void Failed_fixed_width_append_leaves_the_builder_unchanged()
    {
        var builder = ArrayBuilder.Create(ArrowType.Int8);
        builder.Append(1);
        Assert.Throws<OverflowException>(() => builder.Append(1000));
        builder.Append(2);
        var array = builder.Build();
        Assert.Equal(new sbyte[] { 1, 2 }, array.GetValues<sbyte>().ToArray());
    }

    [Fact]
    public void Decimals_take_scaled_decimals_or_unscaled_integers()
    {
        var type = ArrowType.Decimal(10, 2, 128);
        var builder = ArrayBuilder.Create(type);
        builder.Append(-12.34m);
        builder.Append(-1234);
        builder.Append(new BigInteger(5));
        var array = builder.Build();
        Assert.Equal(-12.34m, ArrayPrinter.GetValue(array, 0));
        Assert.Equal(-12.34m, ArrayPrinter.GetValue(array, 1));
        Assert.Equal(0.05m, ArrayPrinter.GetValue(array, 2));
        Assert.Equal(new long[] { -1234, -1 }, array.GetValues<long>()[..2].ToArray());
        Assert.Throws<ArgumentException>(() => ArrayBuilder.Create(type).Append(1.234m));
        Assert.Throws<OverflowException>(() => ArrayBuilder.Create(type).Append(100_000_000m));
    }

    [Fact]
    public void Temporal_values_convert_to_their_units()
    {
        var ts = ArrayBuilder.Create(ArrowType.Timestamp(TimeUnit.Millisecond, "UTC"));
        ts.Append(new DateTimeOffset(1970, 1, 1, 0, 0, 1, TimeSpan.FromHours(1)));
        ts.Append(new DateTime(1969, 12, 31, 23, 59, 59, 999, DateTimeKind.Utc));
        ts.Append(42L);
        Assert.Equal(new long[] { -3_599_000, -1, 42 }, ts.Build().GetValues<long>().ToArray());

        var date = ArrayBuilder.Create(ArrowType.Date32);
        date.Append(new DateOnly(1970, 1, 11));
        date.Append(new DateTime(1969, 12, 31, 18, 0, 0));
        Assert.Equal(new int[] { 10, -1 }, date.Build().GetValues<int>().ToArray());

        var time = ArrayBuilder.Create(ArrowType.Time(TimeUnit.Nanosecond));
        time.Append(new TimeOnly(0, 0, 1));
        time.Append(TimeSpan.FromTicks(3));
        Assert.Equal(new long[] { 1_000_000_000, 300 }, time.Build().GetValues<long>().ToArray());
    }

    [Fact]
    public void Dictionary_builder_encodes_repeated_values_once()
    {
        var builder = ArrayBuilder.Create(ArrowType.Dictionary(ArrowType.Int32, ArrowType.Binary));
        builder.Append(new byte[] { 1 });
        builder.Append(new ReadOnlyMemory<byte>([1]));
        builder.Append(new byte[] { 2 });
        builder.AppendNull();
        builder.Append(new byte[] { 2 });
        var array = builder.Build();
        Assert.Equal(2, array.Dictionary!.Length);
        Assert.Equal(new int[] { 0, 0, 1, 0, 1 }, array.GetValues<int>().ToArray());
        ArrayValidator.Validate(array, ValidationLevel.Full);
    }

    [Fact]
    public void Dictionary_builder_reports_index_overflow()
    {
        var builder = ArrayBuilder.Create(ArrowType.Dictionary(ArrowType.Int8, ArrowType.Int32));
        for (int i = 0; i < 128; i++)
        {
            builder.Append(i);
        }

        Assert.Throws<OverflowException>(() => builder.Append(128));
    }

    [Fact]
    public void Run_end_encoded_builder_coalesces_runs()
    {
        var builder = ArrayBuilder.Create(ArrowType.RunEndEncoded(ArrowType.Int64, new Field("values", ArrowType.Int32)));
        foreach (var v in new object?[] { 1, 1, 1, null, null, 2, 1 })
        {
            builder.Append(v);
        }

        var array = builder.Build();
        Assert.Equal(7, array.Length);
        Assert.Equal(new long[] { 3, 5, 6, 7 }, array.Children[0].GetValues<long>().ToArray());
        Assert.Equal(4, array.Children[1].Length);
        ArrayValidator.Validate(array, ValidationLevel.Full);
    }

    [Fact]
    public void Struct_builder_takes_positional_and_named_values()
    {
        var type = ArrowType.Struct(new Field("a", ArrowType.Int32), new Field("b", ArrowType.Utf8));
        var builder = ArrayBuilder.Create(type);
        builder.Append(new object?[] { 1, "x" });
        builder.Append(new Dictionary<string, object?> { ["b"] = "y" });
        var array = builder.Build();
        Assert.Equal("{a: 1, b: x}", ArrayPrinter.FormatValue(array, 0));
        Assert.Equal("{a: null, b: y}", ArrayPrinter.FormatValue(array, 1));
        Assert.Throws<ArgumentException>(() => ArrayBuilder.Create(type).Append(new Dictionary<string, object?> { ["c"] = 1 }));
    }

    [Fact]
    public void Map_builder_takes_generic_dictionaries_and_pairs()
    {
        var builder = ArrayBuilder.Create(ArrowType.Map(ArrowType.Utf8, ArrowType.Int64));
        builder.Append(new Dictionary<string, long> { ["a"] = 1 });
        builder.Append(new[] { new KeyValuePair<string, long>("b", 2), new KeyValuePair<string, long>("c", 3) });
        builder.Append(new[] { ("d", 4L) });
        var array = builder.Build();
        ArrayValidator.Validate(array, ValidationLevel.Full);
        Assert.Equal("{a: 1}", ArrayPrinter.FormatValue(array, 0));
        Assert.Equal("{b: 2, c: 3}", ArrayPrinter.FormatValue(array, 1));
        Assert.Equal("{d: 4}", ArrayPrinter.FormatValue(array, 2));
    }

    [Fact]
    public void Union_builder_rejects_unknown_type_codes()
    {
        var type = ArrowType.Union(true, [new Field("i", ArrowType.Int32)], [3]);
        Assert.Throws<ArgumentException>(() => ArrayBuilder.Create(type).Append(((sbyte)4, (object?)1)));
        Assert.Throws<ArgumentException>(() => ArrayBuilder.Create(type).Append(1));
    }

    [Fact]
    public void Fixed_size_list_needs_exactly_list_size_items()
    {
        var builder = ArrayBuilder.Create(ArrowType.FixedSizeList(new Field("item", ArrowType.Int32), 2));
        Assert.Throws<ArgumentException>(() => builder.Append(new[] { 1, 2, 3 }));
    }

    [Fact]
    public void Record_batch_builder_builds_rows()
    {
        var schema = new Schema([new Field("id", ArrowType.Int64, false), new Field("name", ArrowType.Utf8)]);
        var builder = new RecordBatchBuilder(schema);
        builder.AppendRow(1L, "one");
        builder.AppendRow(2L, null);
        using var batch = builder.Build();
        Assert.Equal(2, batch.Length);
        ArrayValidator.Validate(batch, ValidationLevel.Full);
        Assert.Equal("one", ArrayPrinter.GetValue(batch.Column(1), 0));
        Assert.Null(ArrayPrinter.GetValue(batch.Column(1), 1));
        Assert.Throws<ArgumentException>(() => builder.AppendRow(1L));
    }
}
