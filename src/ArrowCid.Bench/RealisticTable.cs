using System.Runtime.InteropServices;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Bench;

/// <summary>
/// A table shaped like the ones users export: an int64 key, a nullable int32 and int64, a float64,
/// a UTC timestamp, a free-text string, a dictionary-encoded city, a <c>list&lt;int32&gt;</c> and a
/// struct, each nullable column with nulls at its own stride. Buffers are filled directly, column at
/// a time, in batches of <see cref="RowsPerBatch"/> rows.
/// </summary>
internal static class RealisticTable
{
    /// <summary>Rows per batch.</summary>
    public const int RowsPerBatch = 32_768;

    private const int Cities = 200;

    // 8 + 4 + 8 + 8 + 8 + (4 + 11) + 4 + (4 + 2.2 × 4) + (8 + 4) + bitmaps, as measured.
    private const int ApproximateBytesPerRow = 60;

    private static readonly Field Point = new("point", ArrowType.Struct(new Field("x", ArrowType.Float64, nullable: false), new Field("y", ArrowType.Int32, nullable: false)));

    public static Schema Schema { get; } = new(
    [
        new Field("id", ArrowType.Int64, nullable: false),
        new Field("quantity", ArrowType.Int32),
        new Field("amount", ArrowType.Int64),
        new Field("price", ArrowType.Float64),
        new Field("at", ArrowType.Timestamp(TimeUnit.Microsecond, "UTC")),
        new Field("name", ArrowType.Utf8),
        new Field("city", ArrowType.Dictionary(ArrowType.Int32, ArrowType.Utf8)),
        new Field("tags", ArrowType.List(new Field("item", ArrowType.Int32, nullable: false))),
        Point,
    ]);

    /// <summary>Batches holding about <paramref name="targetBytes"/> bytes of buffers in all.</summary>
    public static List<RecordBatch> Build(long targetBytes, int seed)
    {
        var random = new Random(seed);
        byte[] letters = BenchTable.Letters(random);
        ArrayData cities = CityNames();
        long rows = Math.Max(1, targetBytes / ApproximateBytesPerRow);
        var batches = new List<RecordBatch>();
        for (long first = 0; first < rows; first += RowsPerBatch)
        {
            batches.Add(BuildBatch(first, (int)Math.Min(RowsPerBatch, rows - first), random, letters, cities));
        }

        return batches;
    }

    /// <summary>The batches' one column <paramref name="column"/>, as one-column batches sharing its buffers.</summary>
    public static List<RecordBatch> Column(IEnumerable<RecordBatch> batches, int column)
    {
        var schema = new Schema([Schema.Fields[column]]);
        return [.. batches.Select(b => new RecordBatch(schema, b.Length, [b.Column(column)]))];
    }

    private static ArrayData CityNames()
    {
        var offsets = new int[Cities + 1];
        var text = new List<byte>();
        for (int i = 0; i < Cities; i++)
        {
            offsets[i] = text.Count;
            text.AddRange(System.Text.Encoding.UTF8.GetBytes($"City {i} of {Cities}"));
        }

        offsets[Cities] = text.Count;
        return new ArrayData(ArrowType.Utf8, Cities, 0, 0, [ReadOnlyMemory<byte>.Empty, MemoryMarshal.AsBytes(offsets.AsSpan()).ToArray(), text.ToArray()]);
    }

    private static RecordBatch BuildBatch(long firstRow, int rows, Random random, byte[] letters, ArrayData cities)
    {
        var ids = new long[rows];
        var quantities = new int[rows];
        var amounts = new long[rows];
        var prices = new double[rows];
        var times = new long[rows];
        var cityIndexes = new int[rows];
        var xs = new double[rows];
        var ys = new int[rows];
        long start = 1_767_225_600_000_000L + (firstRow * 250_000);
        for (int i = 0; i < rows; i++)
        {
            ids[i] = firstRow + i;
            quantities[i] = random.Next(10_000);
            amounts[i] = random.NextInt64(-1_000_000_000, 1_000_000_000);
            prices[i] = Math.Round(random.NextDouble() * 1000, 2);
            // About four a second, a little out of order.
            times[i] = start + (i * 250_000L) + random.Next(-100_000, 100_000);
            // Skewed towards the first cities, as real names are.
            cityIndexes[i] = (int)(Cities * Math.Pow(random.NextDouble(), 3));
            xs[i] = random.NextDouble() * 360 - 180;
            ys[i] = random.Next(-90, 90);
        }

        // Free text: 4..20 letters, empty where null.
        var (nameValidity, nameNulls) = BenchTable.Validity(rows, nullEvery: 13);
        var nameOffsets = new int[rows + 1];
        int position = 0;
        for (int i = 0; i < rows; i++)
        {
            nameOffsets[i] = position;
            position += i % 13 == 0 ? 0 : 4 + random.Next(17);
        }

        nameOffsets[rows] = position;
        var names = new byte[position];
        for (int copied = 0; copied < position;)
        {
            int from = random.Next(letters.Length / 2);
            int count = Math.Min(position - copied, letters.Length - from);
            letters.AsSpan(from, count).CopyTo(names.AsSpan(copied));
            copied += count;
        }

        // Tags: 0..5 small integers, an empty list where null.
        var (tagValidity, tagNulls) = BenchTable.Validity(rows, nullEvery: 9);
        var tagOffsets = new int[rows + 1];
        var tagValues = new List<int>(rows * 3);
        for (int i = 0; i < rows; i++)
        {
            tagOffsets[i] = tagValues.Count;
            int count = i % 9 == 0 ? 0 : random.Next(6);
            for (int k = 0; k < count; k++)
            {
                tagValues.Add(random.Next(100));
            }
        }

        tagOffsets[rows] = tagValues.Count;
        var (quantityValidity, quantityNulls) = BenchTable.Validity(rows, nullEvery: 11);
        var (amountValidity, amountNulls) = BenchTable.Validity(rows, nullEvery: 7);
        var (priceValidity, priceNulls) = BenchTable.Validity(rows, nullEvery: 17);
        var (timeValidity, timeNulls) = BenchTable.Validity(rows, nullEvery: 23);
        var (cityValidity, cityNulls) = BenchTable.Validity(rows, nullEvery: 19);
        var (pointValidity, pointNulls) = BenchTable.Validity(rows, nullEvery: 29);
        var tagItems = new ArrayData(ArrowType.Int32, tagValues.Count, 0, 0, [ReadOnlyMemory<byte>.Empty, Bytes(CollectionsMarshal.AsSpan(tagValues))]);
        var point = new ArrayData(Point.Type, rows, pointNulls, 0, [pointValidity],
        [
            new ArrayData(ArrowType.Float64, rows, 0, 0, [ReadOnlyMemory<byte>.Empty, Bytes<double>(xs)]),
            new ArrayData(ArrowType.Int32, rows, 0, 0, [ReadOnlyMemory<byte>.Empty, Bytes<int>(ys)]),
        ]);
        return new RecordBatch(Schema, rows,
        [
            new ArrayData(ArrowType.Int64, rows, 0, 0, [ReadOnlyMemory<byte>.Empty, Bytes<long>(ids)]),
            new ArrayData(ArrowType.Int32, rows, quantityNulls, 0, [quantityValidity, Bytes<int>(quantities)]),
            new ArrayData(ArrowType.Int64, rows, amountNulls, 0, [amountValidity, Bytes<long>(amounts)]),
            new ArrayData(ArrowType.Float64, rows, priceNulls, 0, [priceValidity, Bytes<double>(prices)]),
            new ArrayData(Schema.Fields[4].Type, rows, timeNulls, 0, [timeValidity, Bytes<long>(times)]),
            new ArrayData(ArrowType.Utf8, rows, nameNulls, 0, [nameValidity, Bytes<int>(nameOffsets), names]),
            new ArrayData(Schema.Fields[6].Type, rows, cityNulls, 0, [cityValidity, Bytes<int>(cityIndexes)], dictionary: cities),
            new ArrayData(Schema.Fields[7].Type, rows, tagNulls, 0, [tagValidity, Bytes<int>(tagOffsets)], [tagItems]),
            point,
        ]);
    }

    private static byte[] Bytes<T>(ReadOnlySpan<T> values)
        where T : struct => MemoryMarshal.AsBytes(values).ToArray();
}
