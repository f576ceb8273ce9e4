using System.Buffers.Binary;
using System.Text;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Memory;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Content.Chunking;

/// <summary>
/// The deterministic mixed-type table of the chunking test vectors and benchmarks
/// (docs/canonical-form.md, "Test vectors"): row i of the table with seed s is a pure function of
/// (s, i), drawn from splitmix64, so any range of rows can be built on its own and another
/// language can rebuild the same rows. Columns: <c>id: int64 not null</c> = i; <c>value:
/// float64</c> (1 in 10 null); <c>label: utf8</c> (4–20 lower-case letters, 1 in 13 null);
/// <c>flag: bool not null</c>; <c>tags: list&lt;item: int32&gt;</c> (0–3 items, 1 in 17 null);
/// <c>category: dictionary&lt;int32, utf8&gt;</c> (8 words, 1 in 11 null). Schema metadata:
/// <c>table = mixed</c>.
/// </summary>
public static class MixedTable
{
    /// <summary>The splitmix64 increment (the 64-bit golden ratio).</summary>
    public const ulong Gamma = 0x9E3779B97F4A7C15;

    /// <summary>Draws reserved per row: draw k of row i is <c>mix(seed + (64·i + k + 1)·Gamma)</c>; a row uses at most 28.</summary>
    public const int DrawsPerRow = 64;

    private static readonly string[] Words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"];

    /// <summary>The table's schema.</summary>
    public static Schema Schema { get; } = new(
        [
            new Field("id", ArrowType.Int64, nullable: false),
            new Field("value", ArrowType.Float64),
            new Field("label", ArrowType.Utf8),
            new Field("flag", ArrowType.Boolean, nullable: false),
            new Field("tags", ArrowType.List(new Field("item", ArrowType.Int32))),
            new Field("category", ArrowType.Dictionary(ArrowType.Int32, ArrowType.Utf8)),
        ],
        [KeyValuePair.Create("table", "mixed")]);

    /// <summary>The splitmix64 output function.</summary>
    /// <param name="z">The state after the increment.</param>
    /// <returns>The draw.</returns>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }

    /// <summary>Rows [<paramref name="first"/>, <paramref name="first"/> + <paramref name="count"/>) of the table with <paramref name="seed"/>, as one batch.</summary>
    /// <param name="seed">The table's seed.</param>
    /// <param name="first">Index of the first row.</param>
    /// <param name="count">Number of rows.</param>
    /// <returns>The batch.</returns>
    public static RecordBatch Build(ulong seed, long first, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var ids = new byte[count * 8];
        var values = new byte[count * 8];
        var valueValid = new byte[BitUtil.BytesForBits(count)];
        var labelOffsets = new byte[(count + 1) * 4];
        var labelValid = new byte[valueValid.Length];
        var labels = new List<byte>(count * 12);
        var flags = new byte[valueValid.Length];
        var tagOffsets = new byte[(count + 1) * 4];
        var tagValid = new byte[valueValid.Length];
        var items = new List<int>(count * 2);
        var categories = new byte[count * 4];
        var categoryValid = new byte[valueValid.Length];
        int valueNulls = 0, labelNulls = 0, tagNulls = 0, categoryNulls = 0;
        for (int r = 0; r < count; r++)
        {
            long row = first + r;
            ulong state = unchecked(seed + ((ulong)row * DrawsPerRow * Gamma));
            ulong Draw()
            {
                state = unchecked(state + Gamma);
                return Mix(state);
            }

            BinaryPrimitives.WriteInt64LittleEndian(ids.AsSpan(r * 8), row);

            ulong d = Draw();
            if (d % 10 == 0)
            {
                valueNulls++;
            }
            else
            {
                BinaryPrimitives.WriteDoubleLittleEndian(values.AsSpan(r * 8), (d >> 11) * (1.0 / (1UL << 53)));
                BitUtil.SetBit(valueValid, r, true);
            }

            d = Draw();
            if (d % 13 == 0)
            {
                labelNulls++;
            }
            else
            {
                int length = 4 + (int)((d >> 8) % 17);
                for (int c = 0; c < length; c++)
                {
                    labels.Add((byte)('a' + (int)(Draw() % 26)));
                }

                BitUtil.SetBit(labelValid, r, true);
            }

            BinaryPrimitives.WriteInt32LittleEndian(labelOffsets.AsSpan((r + 1) * 4), labels.Count);
            BitUtil.SetBit(flags, r, (Draw() & 1) == 1);

            d = Draw();
            if (d % 17 == 0)
            {
                tagNulls++;
            }
            else
            {
                int tags = (int)((d >> 8) % 4);
                for (int t = 0; t < tags; t++)
                {
                    items.Add((int)(Draw() % 1000));
                }

                BitUtil.SetBit(tagValid, r, true);
            }

            BinaryPrimitives.WriteInt32LittleEndian(tagOffsets.AsSpan((r + 1) * 4), items.Count);

            d = Draw();
            if (d % 11 == 0)
            {
                categoryNulls++;
            }
            else
            {
                BinaryPrimitives.WriteInt32LittleEndian(categories.AsSpan(r * 4), (int)((d >> 8) % (ulong)Words.Length));
                BitUtil.SetBit(categoryValid, r, true);
            }
        }

        var itemBytes = new byte[items.Count * 4];
        for (int i = 0; i < items.Count; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(itemBytes.AsSpan(i * 4), items[i]);
        }

        var tagType = Schema.Fields[4].Type;
        return new RecordBatch(Schema, count,
        [
            new ArrayData(ArrowType.Int64, count, 0, 0, [ReadOnlyMemory<byte>.Empty, ids]),
            new ArrayData(ArrowType.Float64, count, valueNulls, 0, [valueValid, values]),
            new ArrayData(ArrowType.Utf8, count, labelNulls, 0, [labelValid, labelOffsets, labels.ToArray()]),
            new ArrayData(ArrowType.Boolean, count, 0, 0, [ReadOnlyMemory<byte>.Empty, flags]),
            new ArrayData(tagType, count, tagNulls, 0, [tagValid, tagOffsets], [new ArrayData(ArrowType.Int32, items.Count, 0, 0, [ReadOnlyMemory<byte>.Empty, itemBytes])]),
            new ArrayData(Schema.Fields[5].Type, count, categoryNulls, 0, [categoryValid, categories], [], WordDictionary()),
        ]);
    }

    /// <summary>Rows [<paramref name="first"/>, <paramref name="first"/> + <paramref name="rows"/>) cut into batches of <paramref name="batchRows"/> rows (the last may be shorter).</summary>
    /// <param name="seed">The table's seed.</param>
    /// <param name="first">Index of the first row.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="batchRows">Rows per batch.</param>
    /// <returns>The batches in order.</returns>
    public static IEnumerable<RecordBatch> Batches(ulong seed, long first, long rows, int batchRows)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchRows);
        for (long done = 0; done < rows; done += batchRows)
        {
            yield return Build(seed, first + done, (int)Math.Min(batchRows, rows - done));
        }
    }

    private static ArrayData WordDictionary()
    {
        var offsets = new byte[(Words.Length + 1) * 4];
        var data = new List<byte>();
        for (int i = 0; i < Words.Length; i++)
        {
            data.AddRange(Encoding.ASCII.GetBytes(Words[i]));
            BinaryPrimitives.WriteInt32LittleEndian(offsets.AsSpan((i + 1) * 4), data.Count);
        }

        return new ArrayData(ArrowType.Utf8, Words.Length, 0, 0, [ReadOnlyMemory<byte>.Empty, offsets, data.ToArray()]);
    }
}
