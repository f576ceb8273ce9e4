using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Chunking;

namespace ArrowCid.Content.Tests.Chunking;

/// <summary>
/// The row hasher's fast paths against the slot-by-slot reference (<see cref="ReferenceRowHash"/>)
/// at their edges: byte strings of every length around the 8, 16 and 24-byte words (the masked
/// reads), lists of every length around the four items of the branch-free path, nulls among them,
/// the last values of the data (where fewer than 24 bytes remain to read), and slices.
/// </summary>
public class RowHasherTests
{
    private static readonly Schema Schema = new(
    [
        new Field("text", ArrowType.Utf8),
        new Field("blob", ArrowType.LargeBinary),
        new Field("numbers", ArrowType.List(new Field("item", ArrowType.Int32))),
        new Field("words", ArrowType.LargeList(new Field("item", ArrowType.Utf8))),
        new Field("flag", ArrowType.Boolean),
        new Field("word", ArrowType.Dictionary(ArrowType.Int16, ArrowType.Utf8)),
    ]);

    private static RecordBatch Table(int rows, int seed)
    {
        var r = new Random(seed);
        var builder = new RecordBatchBuilder(Schema);
        for (int i = 0; i < rows; i++)
        {
            bool isNull = r.Next(5) == 0;
            string text = new((char)('a' + (i % 26)), i % 41);
            var bytes = new byte[(i * 7) % 37];
            r.NextBytes(bytes);
            var numbers = Enumerable.Range(0, i % 10).Select(k => (object?)(k * 31 + i)).ToList();
            var words = Enumerable.Range(0, (i / 3) % 7).Select(k => (object?)new string('w', (k + i) % 20)).ToList();
            builder.AppendRow(
                isNull ? null : text,
                r.Next(4) == 0 ? null : bytes,
                r.Next(6) == 0 ? null : numbers,
                r.Next(6) == 0 ? null : words,
                r.Next(7) == 0 ? null : i % 3 == 0,
                r.Next(5) == 0 ? null : ((i * 13) % 9).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return builder.Build();
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 2)]
    [InlineData(41, 3)]
    [InlineData(500, 4)]
    [InlineData(5000, 5)]
    public void Every_row_agrees_with_the_reference(int rows, int seed)
    {
        var table = Table(rows, seed);
        AssertAgrees(table);
        // Slices: offsets that do not start at 0, data that goes on after the last row.
        AssertAgrees(table.Slice(rows / 3, rows - (rows / 3)));
        AssertAgrees(table.Slice(0, Math.Max(1, rows / 2)));
    }

    private static void AssertAgrees(RecordBatch table)
    {
        var hashes = new ulong[table.Length];
        var bits = new long[table.Length];
        RowHasher.Compute(table, hashes, bits);
        for (int row = 0; row < table.Length; row++)
        {
            var (hash, size) = ReferenceRowHash.Of(table, row);
            Assert.True(hash == hashes[row] && size == bits[row], $"row {row} of {table.Length}: hash {hashes[row]:x16}, bits {bits[row]}; the reference says {hash:x16}, {size}");
        }
    }
}
