using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Content.Tests.Canonical;

/// <summary>One column kind of the random batches: a type and a generator of its non-null values.</summary>
internal sealed record ColumnKind(string Name, ArrowType Type, Func<Random, object?> Value);

/// <summary>
/// Random batches over many types, as rows of natural CLR values (so the same rows can be built
/// into differently laid out arrays). Values include NaNs with assorted payloads, -0.0, strings
/// both sides of the 12-byte view limit, nulls at every level and repeats for dictionaries and runs.
/// </summary>
internal static class RandomBatches
{
    private static readonly string[] Words = ["", "a", "bb", "héllo", "中文字", "twelve bytes", "thirteen byte", "a considerably longer string value"];

    public static readonly ColumnKind[] Kinds =
    [
        new("int8", ArrowType.Int8, r => (sbyte)r.Next(-128, 128)),
        new("int16", ArrowType.Int16, r => (short)r.Next(short.MinValue, short.MaxValue)),
        new("int32", ArrowType.Int32, r => r.Next(int.MinValue, int.MaxValue)),
        new("int64", ArrowType.Int64, r => r.NextInt64()),
        new("uint8", ArrowType.UInt8, r => (byte)r.Next(256)),
        new("uint16", ArrowType.UInt16, r => (ushort)r.Next(65536)),
        new("uint32", ArrowType.UInt32, r => (uint)r.NextInt64(uint.MaxValue)),
        new("uint64", ArrowType.UInt64, r => (ulong)r.NextInt64()),
        new("float16", ArrowType.Float16, r => Half16(r)),
        new("float32", ArrowType.Float32, r => Single32(r)),
        new("float64", ArrowType.Float64, r => Double64(r)),
        new("bool", ArrowType.Boolean, r => r.Next(2) == 0),
        new("utf8", ArrowType.Utf8, Word),
        new("large_utf8", ArrowType.LargeUtf8, Word),
        new("binary", ArrowType.Binary, r => Bytes(r, r.Next(0, 20))),
        new("large_binary", ArrowType.LargeBinary, r => Bytes(r, r.Next(0, 20))),
        new("fixed_size_binary", ArrowType.FixedSizeBinary(3), r => Bytes(r, 3)),
        new("utf8_view", ArrowType.Utf8View, Word),
        new("binary_view", ArrowType.BinaryView, r => Bytes(r, r.Next(0, 30))),
        new("decimal128", ArrowType.Decimal(10, 2), r => r.Next(-1_000_000, 1_000_000) / 100m),
        new("timestamp_tz", ArrowType.Timestamp(TimeUnit.Millisecond, "UTC"), r => r.NextInt64(-1L << 40, 1L << 40)),
        new("date32", ArrowType.Date32, r => r.Next(-100_000, 100_000)),
        new("list_int32", ArrowType.List(new Field("item", ArrowType.Int32)), r => Items(r, 0, 4, r2 => r2.Next(-50, 50))),
        new("large_list_utf8", ArrowType.LargeList(new Field("item", ArrowType.Utf8)), r => Items(r, 0, 3, Word)),
        new("fixed_size_list", ArrowType.FixedSizeList(new Field("item", ArrowType.Int16), 2), r => Items(r, 2, 2, r2 => (short)r2.Next(-9, 9))),
        new("struct", ArrowType.Struct(new Field("a", ArrowType.Int32), new Field("b", ArrowType.Utf8)), r => new object?[] { Maybe(r, r.Next(100)), Maybe(r, Word(r)) }),
        new("map", ArrowType.Map(ArrowType.Utf8, ArrowType.Int32), r => Map(r)),
        new("sparse_union", ArrowType.Union(false, [new Field("i", ArrowType.Int32), new Field("s", ArrowType.Utf8)], [(sbyte)5, (sbyte)2]), r => Union(r)),
        new("dense_union", ArrowType.Union(true, [new Field("i", ArrowType.Int32), new Field("s", ArrowType.Utf8)], [(sbyte)5, (sbyte)2]), r => Union(r)),
        new("dictionary_int8", ArrowType.Dictionary(ArrowType.Int8, ArrowType.Utf8), r => Words[r.Next(4)]),
        new("dictionary_int32", ArrowType.Dictionary(ArrowType.Int32, ArrowType.Utf8), Word),
        new("run_end_encoded", ArrowType.RunEndEncoded(ArrowType.Int32, new Field("values", ArrowType.Utf8)), r => Words[r.Next(3)]),
        new("list_view", ArrowType.ListView(new Field("item", ArrowType.Int32)), r => Items(r, 0, 4, r2 => r2.Next(-50, 50))),
        new("list_of_struct", ArrowType.List(new Field("item", ArrowType.Struct(new Field("x", ArrowType.Float64), new Field("y", ArrowType.Dictionary(ArrowType.Int16, ArrowType.Utf8))))),
            r => Items(r, 0, 3, r2 => new object?[] { Maybe(r2, Double64(r2)), Maybe(r2, Words[r2.Next(3)]) })),
    ];

    /// <summary>A random schema (1 to 4 columns, random metadata) and rows for it.</summary>
    public static (Schema Schema, List<object?[]> Rows) Generate(Random r, int maxRows = 24)
    {
        int columns = r.Next(1, 5);
        var kinds = Enumerable.Range(0, columns).Select(_ => Kinds[r.Next(Kinds.Length)]).ToArray();
        var fields = kinds.Select((k, i) => new Field($"c{i}_{k.Name}", k.Type, nullable: true, Metadata(r))).ToList();
        var schema = new Schema(fields, Metadata(r));
        int count = r.Next(0, maxRows + 1);
        return (schema, Rows(r, kinds, count));
    }

    /// <summary>More rows of the same kinds as <paramref name="schema"/>.</summary>
    public static List<object?[]> Rows(Random r, Schema schema, int count)
    {
        var kinds = schema.Fields.Select(f => Kinds.First(k => f.Name[(f.Name.IndexOf('_', StringComparison.Ordinal) + 1)..] == k.Name)).ToArray();
        return Rows(r, kinds, count);
    }

    public static RecordBatch Build(Schema schema, IEnumerable<object?[]> rows)
    {
        var builder = new RecordBatchBuilder(schema);
        foreach (var row in rows)
        {
            builder.AppendRow(row);
        }

        return builder.Build();
    }

    private static List<object?[]> Rows(Random r, ColumnKind[] kinds, int count)
    {
        double nullRate = r.Next(3) switch { 0 => 0, 1 => 0.2, _ => 0.6 };
        return [.. Enumerable.Range(0, count).Select(_ => kinds.Select(k => r.NextDouble() < nullRate ? null : k.Value(r)).ToArray())];
    }

    private static List<KeyValuePair<string, string>>? Metadata(Random r)
    {
        if (r.Next(3) == 0)
        {
            return null;
        }

        return [.. Enumerable.Range(0, r.Next(1, 4)).Select(i => KeyValuePair.Create(Words[r.Next(Words.Length)] + i, Words[r.Next(Words.Length)]))];
    }

    private static object? Maybe(Random r, object? value) => r.Next(5) == 0 ? null : value;

    private static string Word(Random r) => Words[r.Next(Words.Length)];

    private static byte[] Bytes(Random r, int length)
    {
        var bytes = new byte[length];
        r.NextBytes(bytes);
        return bytes;
    }

    private static List<object?> Items(Random r, int min, int max, Func<Random, object?> item) =>
        [.. Enumerable.Range(0, r.Next(min, max + 1)).Select(_ => Maybe(r, item(r)))];

    private static List<KeyValuePair<object?, object?>> Map(Random r) =>
        Enumerable.Range(0, r.Next(0, 3)).Select(i => KeyValuePair.Create<object?, object?>(Word(r) + i, Maybe(r, r.Next(1000)))).ToList();

    private static object Union(Random r) => r.Next(2) == 0 ? ((sbyte)5, Maybe(r, r.Next(100))) : ((sbyte)2, Maybe(r, Word(r)));

    /// <summary>Half values: ordinary ones, -0.0, infinities and NaNs of any sign and payload.</summary>
    private static Half Half16(Random r) => r.Next(4) switch
    {
        0 => BitConverter.UInt16BitsToHalf((ushort)(0x7C01 + r.Next(0x3FF) | (r.Next(2) << 15))),
        1 => BitConverter.UInt16BitsToHalf(0x8000),
        _ => (Half)(r.Next(-100, 100) / 4.0),
    };

    private static float Single32(Random r) => r.Next(4) switch
    {
        0 => BitConverter.UInt32BitsToSingle(0x7F800001u + (uint)r.Next(0x7FFFFE) | ((uint)r.Next(2) << 31)),
        1 => -0.0f,
        _ => r.Next(-1000, 1000) / 8f,
    };

    private static double Double64(Random r) => r.Next(4) switch
    {
        0 => BitConverter.UInt64BitsToDouble(0x7FF0000000000001ul + (ulong)r.NextInt64(0xFFFFFFFFFFFFE) | ((ulong)r.Next(2) << 63)),
        1 => -0.0,
        _ => r.Next(-1000, 1000) / 8.0,
    };
}
