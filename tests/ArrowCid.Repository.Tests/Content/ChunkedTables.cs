using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Chunking;

namespace ArrowCid.Repository.Tests.Content;

/// <summary>
/// Tables large enough to be several chunks: rows of the mixed table (docs/canonical-form.md §7.6),
/// about 45 nominal bytes a row, so a chunk holds some 6,000 rows on average and 40,000 rows make
/// a handful of chunks. Row i is the same whatever batch builds it, so any split of a row range
/// into batches is the same table.
/// </summary>
public static class ChunkedTables
{
    /// <summary>Rows that make several chunks (about 1.8 MB).</summary>
    public const int SeveralChunks = 40_000;

    /// <summary>A prefix of the mixed table with seed 42 that ends exactly where its chunk 66 starts: 66 chunks whose tree has two levels (chunk 64's CID ends a level-0 node; see the vectors).</summary>
    public const int TwoLevelRows = 427_380;

    /// <summary>The seed of <see cref="TwoLevelRows"/>.</summary>
    public const ulong TwoLevelSeed = 42;

    public static Schema Schema => MixedTable.Schema;

    /// <summary>Rows [first, first + count) of the table with <paramref name="seed"/>, in batches of <paramref name="batchRows"/>.</summary>
    public static IEnumerable<RecordBatch> Rows(ulong seed, long first, long count, int batchRows = 10_000) =>
        MixedTable.Batches(seed, first, count, batchRows);

    /// <summary>Batches of the given row ranges of tables, in order: ranges of several tables (an edit) concatenated.</summary>
    public static IEnumerable<RecordBatch> Ranges(params (ulong Seed, long First, long Count)[] ranges) =>
        ranges.Where(r => r.Count > 0).SelectMany(r => Rows(r.Seed, r.First, r.Count));
}
