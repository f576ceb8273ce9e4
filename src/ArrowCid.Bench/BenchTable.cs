using System.Runtime.InteropServices;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Bench;

/// <summary>
/// The benchmark's table: int64, float64 (some nulls), utf8 (some nulls, 4–20 bytes) and bool
/// columns in batches of <see cref="RowsPerBatch"/> rows (about 1 MiB each). Buffers are filled
/// directly, column at a time, so a gigabyte is ready in about a second; every batch has buffers of
/// its own, so reading and writing them really moves that many bytes.
/// </summary>
internal static class BenchTable
{
    /// <summary>Rows per batch; the same for every file so "open and read the last batch" costs the same per batch.</summary>
    public const int RowsPerBatch = 32_768;

    // 8 (int64) + 8 (float64) + 4 (offset) + 12 (mean string) + bitmaps.
    private const int ApproximateBytesPerRow = 32;

    public static Schema Schema { get; } = new(
    [
        new Field("id", ArrowType.Int64, nullable: false),
        new Field("value", ArrowType.Float64),
        new Field("label", ArrowType.Utf8),
        new Field("flag", ArrowType.Boolean, nullable: false),
    ]);

    /// <summary>Batches holding about <paramref name="targetBytes"/> bytes of buffers in all.</summary>
    public static List<RecordBatch> Build(long targetBytes, int seed)
    {
        var random = new Random(seed);
        // Strings are cut from one pool of random letters so no per-value work is needed.
        byte[] letters = Letters(random);

        long rows = Math.Max(1, targetBytes / ApproximateBytesPerRow);
        var batches = new List<RecordBatch>();
        for (long first = 0; first < rows; first += RowsPerBatch)
        {
            batches.Add(BuildBatch(first, (int)Math.Min(RowsPerBatch, rows - first), random, letters));
        }

        return batches;
    }

    /// <summary>One batch of about <paramref name="targetBytes"/> bytes of buffers (at most int.MaxValue rows), with nulls and non-zero values under them.</summary>
    public static RecordBatch BuildSingle(long targetBytes, int seed)
    {
        var random = new Random(seed);
        byte[] letters = Letters(random);

        return BuildBatch(0, (int)Math.Clamp(targetBytes / ApproximateBytesPerRow, 1, int.MaxValue), random, letters);
    }

    /// <summary>Sum of all buffer lengths of <paramref name="batches"/>.</summary>
    public static long BufferBytes(IEnumerable<RecordBatch> batches) =>
        batches.Sum(b => b.Columns.Sum(c => c.Buffers.Sum(buffer => (long)buffer.Length)));

    private static RecordBatch BuildBatch(long firstRow, int rows, Random random, byte[] letters)
    {
        var ids = new byte[rows * sizeof(long)];
        var idValues = MemoryMarshal.Cast<byte, long>(ids.AsSpan());
        var values = new byte[rows * sizeof(double)];
        var doubleValues = MemoryMarshal.Cast<byte, double>(values.AsSpan());
        for (int i = 0; i < rows; i++)
        {
            idValues[i] = firstRow + i;
            doubleValues[i] = (firstRow + i) * 0.25;
        }

        var (valueValidity, valueNulls) = Validity(rows, nullEvery: 17);
        var (labelValidity, labelNulls) = Validity(rows, nullEvery: 13);

        var offsets = new byte[(rows + 1) * sizeof(int)];
        var offsetValues = MemoryMarshal.Cast<byte, int>(offsets.AsSpan());
        int position = 0;
        for (int i = 0; i < rows; i++)
        {
            offsetValues[i] = position;
            // Null slots are empty; others 4..20 bytes.
            position += i % 13 == 0 ? 0 : 4 + (i * 7 % 17);
        }

        offsetValues[rows] = position;
        var text = new byte[position];
        for (int copied = 0; copied < position;)
        {
            int start = random.Next(letters.Length / 2);
            int count = Math.Min(position - copied, letters.Length - start);
            letters.AsSpan(start, count).CopyTo(text.AsSpan(copied));
            copied += count;
        }

        var flags = new byte[(rows + 7) / 8];
        random.NextBytes(flags);
        ClearBitsFrom(flags, rows);

        return new RecordBatch(Schema, rows,
        [
            new ArrayData(ArrowType.Int64, rows, 0, 0, [ReadOnlyMemory<byte>.Empty, ids]),
            new ArrayData(ArrowType.Float64, rows, valueNulls, 0, [valueValidity, values]),
            new ArrayData(ArrowType.Utf8, rows, labelNulls, 0, [labelValidity, offsets, text]),
            new ArrayData(ArrowType.Boolean, rows, 0, 0, [ReadOnlyMemory<byte>.Empty, flags]),
        ]);
    }

    /// <summary>A megabyte of random lower-case letters, the pool strings are cut from.</summary>
    public static byte[] Letters(Random random)
    {
        var letters = new byte[1 << 20];
        random.NextBytes(letters);
        for (int i = 0; i < letters.Length; i++)
        {
            letters[i] = (byte)('a' + (letters[i] % 26));
        }

        return letters;
    }

    /// <summary>A validity bitmap where every <paramref name="nullEvery"/>-th slot (from 0) is null.</summary>
    public static (byte[] Bitmap, int NullCount) Validity(int rows, int nullEvery)
    {
        var bitmap = new byte[(rows + 7) / 8];
        bitmap.AsSpan().Fill(0xFF);
        int nulls = 0;
        for (int i = 0; i < rows; i += nullEvery)
        {
            bitmap[i >> 3] &= (byte)~(1 << (i & 7));
            nulls++;
        }

        ClearBitsFrom(bitmap, rows);
        return (bitmap, nulls);
    }

    private static void ClearBitsFrom(byte[] bitmap, int length)
    {
        if ((length & 7) != 0)
        {
            bitmap[length >> 3] &= (byte)((1 << (length & 7)) - 1);
        }
    }
}
