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

/// <summary>The wide fold and finaliser give the one-by-one numbers, whatever the processor.</summary>
public class RowHashMathTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(1001)]
    public void Folding_and_finishing_many_at_once_gives_the_same_numbers_as_one_by_one(int count)
    {
        var random = new Random(count + 1);
        var words = new ulong[count];
        var start = new ulong[count];
        random.NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(words.AsSpan()));
        random.NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(start.AsSpan()));
        var expected = start.Select((h, k) => RowHashMath.Finish(RowHashMath.Absorb(h, words[k]))).ToArray();

        var wide = (ulong[])start.Clone();
        int folded = RowHashMath.AbsorbEach(wide, words);
        Assert.Equal(0, folded % 8);
        for (int k = folded; k < count; k++)
        {
            wide[k] = RowHashMath.Absorb(wide[k], words[k]);
        }

        int finished = RowHashMath.FinishEach(wide);
        for (int k = finished; k < count; k++)
        {
            wide[k] = RowHashMath.Finish(wide[k]);
        }

        Assert.Equal(expected, wide);
        if (System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated && System.Runtime.Intrinsics.X86.Avx512DQ.IsSupported)
        {
            // This machine takes the wide path: the test above compared it, not the fallback.
            Assert.Equal(count & ~7, folded);
        }
    }
}

/// <summary>The wide fold with a validity bitmap gives the one-by-one numbers.</summary>
public class RowHashMathValidityTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(9)]
    [InlineData(64)]
    [InlineData(1003)]
    public void Folding_many_at_once_under_a_bitmap_folds_the_null_word_for_null_slots(int count)
    {
        var random = new Random(count + 7);
        var words = new ulong[count];
        var h = new ulong[count];
        var validity = new byte[(count + 7) / 8];
        random.NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(words.AsSpan()));
        random.NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(h.AsSpan()));
        random.NextBytes(validity);
        var expected = h.Select((fold, k) => RowHashMath.Absorb(fold, (validity[k >> 3] >> (k & 7) & 1) == 1 ? words[k] : RowHashMath.NullWord)).ToArray();

        int done = RowHashMath.AbsorbEachValid(h, words, validity);
        for (int k = done; k < count; k++)
        {
            h[k] = RowHashMath.Absorb(h[k], (validity[k >> 3] >> (k & 7) & 1) == 1 ? words[k] : RowHashMath.NullWord);
        }

        Assert.Equal(expected, h);
        Assert.True(done == 0 || done == (count & ~7));
    }
}

/// <summary>The wide item hashes of 4-byte values equal the one-by-one ones.</summary>
public class RowHashMathItemTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(1000)]
    public void Hashing_many_items_at_once_gives_the_same_numbers_as_one_by_one(int count)
    {
        var random = new Random(count + 11);
        var words = new uint[count];
        random.NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(words.AsSpan()));
        var expected = words.Select(w => RowHashMath.Finish(RowHashMath.Absorb(RowHashMath.Seed, w))).ToArray();

        var h = new ulong[count];
        int done = RowHashMath.FinishEachItem(h, words);
        for (int k = done; k < count; k++)
        {
            h[k] = RowHashMath.Finish(RowHashMath.Absorb(RowHashMath.Seed, words[k]));
        }

        Assert.Equal(expected, h);
        Assert.True(done == 0 || done == (count & ~15));
    }
}
