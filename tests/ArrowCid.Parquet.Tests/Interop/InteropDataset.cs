using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Parquet.Tests.Interop;

/// <summary>
/// The multi-batch dataset our files carry to the node readers: integers of every width and sign,
/// double, bool, utf8, timestamp with time zone, date, decimal, list&lt;int32&gt;, struct and map,
/// each with nulls in different rows.
/// </summary>
internal static class InteropDataset
{
    public static readonly (string Name, ArrowType Type, string Kind)[] Columns =
    [
        ("i8", ArrowType.Int8, "int"), ("i16", ArrowType.Int16, "int"), ("i32", ArrowType.Int32, "int"), ("i64", ArrowType.Int64, "int"),
        ("u8", ArrowType.UInt8, "int"), ("u16", ArrowType.UInt16, "int"), ("u32", ArrowType.UInt32, "int"), ("u64", ArrowType.UInt64, "int"),
        ("f64", ArrowType.Float64, "float"), ("b", ArrowType.Boolean, "bool"), ("s", ArrowType.Utf8, "string"),
        ("ts", ArrowType.Timestamp(TimeUnit.Microsecond, "UTC"), "timestamp_us"), ("d", ArrowType.Date32, "date"),
        ("dec", ArrowType.Decimal(10, 2), "decimal:2"),
        ("li", ArrowType.List(new Field("item", ArrowType.Int32)), "list<int>"),
        ("st", ArrowType.Struct(new Field("x", ArrowType.Int32), new Field("y", ArrowType.Utf8)), "struct<int,string>"),
        ("m", ArrowType.Map(ArrowType.Utf8, ArrowType.Int32), "map<string,int>"),
    ];

    public static Arrow.Types.Schema Schema { get; } = new(Columns.Select(c => new Field(c.Name, c.Type)));

    public static List<RecordBatch> Batches()
    {
        var batches = new List<RecordBatch>();
        int row = 0;
        foreach (int size in new[] { 7, 11, 5 })
        {
            var builder = new RecordBatchBuilder(Schema);
            for (int i = 0; i < size; i++, row++)
            {
                builder.AppendRow([.. Enumerable.Range(0, Columns.Length).Select(c => (row + c) % 5 == 3 ? null : Value(c, row))]);
            }
            batches.Add(builder.Build());
        }
        return batches;
    }

    private static object? Value(int column, int r) => Columns[column].Name switch
    {
        "i8" => (sbyte)(r * 37 % 256 - 128),
        "i16" => (short)(r * 4099 - 30000),
        "i32" => r * 100_003 - 1_000_000,
        "i64" => (r - 10) * 123_456_789_012_345L,
        "u8" => (byte)(255 - r),
        "u16" => (ushort)(65535 - r * 3),
        "u32" => uint.MaxValue - (uint)r * 7,
        "u64" => ulong.MaxValue - (ulong)r * 1_000_003,
        "f64" => r * 1.25 - 7.5,
        "b" => r % 3 == 0,
        "s" => $"s{r}-é✓",
        // Whole milliseconds, so readers that surface JavaScript Dates keep every digit.
        "ts" => 1_700_000_000_000_000L + r * 86_400_123_000L,
        "d" => 19_000 + r * 11 - 200,
        "dec" => (r * 12_345 - 100_000) / 100m,
        "li" => r % 4 == 0 ? Array.Empty<object?>() : new object?[] { r, r % 3 == 0 ? null : -r, 7 },
        "st" => new object?[] { r % 2 == 0 ? null : r, $"y{r}" },
        "m" => r % 6 == 0 ? Array.Empty<KeyValuePair<string, object?>>() : new[] { new KeyValuePair<string, object?>($"k{r}", r), new KeyValuePair<string, object?>("z", r % 2 == 0 ? null : 1) },
        _ => throw new InvalidOperationException(),
    };
}
