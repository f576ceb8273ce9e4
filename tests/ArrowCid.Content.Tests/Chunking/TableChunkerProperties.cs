using ArrowCid.Arrow.Arrays;
using ArrowCid.Content.Canonical;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.Tests.Canonical;
using FsCheck;
using FsCheck.Fluent;

namespace ArrowCid.Content.Tests.Chunking;

/// <summary>
/// Properties of the chunker over random tables of every column type the canonical form
/// supports (<see cref="RandomBatches"/>), with small chunk sizes so a few thousand rows make
/// dozens of chunks: the chunks and the table's CID are the same whatever the batching and the
/// physical layout of the batches; every chunk is canonical, within the block limit unless a
/// single row, and holds exactly its rows of the table. FsCheck draws the seeds; a failure names
/// its seed.
/// </summary>
public class TableChunkerProperties
{
    private static readonly Config Config = Config.QuickThrowOnFailure.WithMaxTest(25).WithReplay(20260611UL, 13UL);

    private static readonly Arbitrary<int> Seeds = Arb.From(Gen.Choose(0, int.MaxValue));

    private static void ForAllTables(Action<Random, RecordBatch> property) =>
        Prop.ForAll(Seeds, seed =>
        {
            var r = new Random(seed);
            var (schema, _) = RandomBatches.Generate(r, maxRows: 0);
            var rows = RandomBatches.Rows(r, schema, r.Next(1, 2500));
            var table = RandomBatches.Build(schema, rows);
            try
            {
                property(r, table);
            }
            catch (Exception e)
            {
                throw new InvalidOperationException($"seed {seed}, {table.Length} rows, schema:\n{schema}", e);
            }
        }).Check(Config);

    [Fact]
    public void The_chunks_are_the_same_whatever_the_batching_and_layout()
    {
        ForAllTables((r, table) =>
        {
            var whole = Chunked.Table(table.Schema, [table], Chunked.Small);
            Chunked.AssertSameRows(table, whole);
            var variants = new List<(string Name, IEnumerable<RecordBatch> Batches)>
            {
                ("7 batches", Chunked.Split(table, Chunked.EvenCuts(table.Length, 7))),
                ("random splits", Chunked.Split(table, Chunked.RandomCuts(r, table.Length, r.Next(1, 40)))),
                ("scrambled random splits", Chunked.Split(table, Chunked.RandomCuts(r, table.Length, r.Next(1, 20))).Select(b => LayoutScrambler.Scramble(b, r))),
            };
            if (table.Length <= 1200)
            {
                variants.Add(("1,000 batches", Chunked.Split(table, Chunked.EvenCuts(table.Length, 1000))));
            }

            foreach (var (name, batches) in variants)
            {
                var other = Chunked.Table(table.Schema, batches, Chunked.Small);
                Assert.True(whole.Boundaries.SequenceEqual(other.Boundaries), $"{name}: boundaries {string.Join(",", other.Boundaries)} instead of {string.Join(",", whole.Boundaries)}");
                Assert.Equal(whole.Entries, other.Entries);
                Assert.Equal(whole.Root, other.Root);
            }
        });
    }

    [Fact]
    public void Chunks_over_the_block_limit_are_cut_shorter_the_same_way_whatever_the_batching()
    {
        ForAllTables((r, table) =>
        {
            var whole = Chunked.Table(table.Schema, [table], Chunked.Tight);
            Chunked.AssertSameRows(table, whole);
            var split = Chunked.Table(table.Schema, Chunked.Split(table, Chunked.RandomCuts(r, table.Length, r.Next(1, 60))), Chunked.Tight);
            Assert.Equal(whole.Entries, split.Entries);
            Assert.Equal(whole.Root, split.Root);
        });
    }

    [Fact]
    public void Row_hashes_let_go_and_computed_again_give_the_same_chunks()
    {
        // With none kept, every segment scanned whole lets go of its row arrays, and each cut
        // shortened to the block limit scans such segments again from hashes computed anew.
        ForAllTables((r, table) =>
        {
            var batches = Chunked.Split(table, Chunked.RandomCuts(r, table.Length, r.Next(1, 60)));
            foreach (var mode in new[] { TableChunkerMode.Inline, TableChunkerMode.PrepareAhead })
            {
                var kept = Chunked.Table(table.Schema, batches, Chunked.Tight, mode);
                var rehashed = Chunked.Table(table.Schema, batches, Chunked.Tight, mode, rowArraysKept: 0);
                Assert.Equal(kept.Entries, rehashed.Entries);
                Assert.Equal(kept.Root, rehashed.Root);
            }
        });
    }

    [Fact]
    public void Equal_rows_have_equal_row_hashes_whatever_the_layout()
    {
        ForAllTables((r, table) =>
        {
            var expected = RowHasher.Compute(table);
            var scrambled = LayoutScrambler.Scramble(table, r);
            Assert.True(ArrayEquality.Equals(table, scrambled, out var difference), difference);
            Assert.Equal(expected, RowHasher.Compute(scrambled));
            int from = r.Next(table.Length);
            int count = r.Next(table.Length - from + 1);
            Assert.Equal(expected.AsSpan(from, count).ToArray(), RowHasher.Compute(LayoutScrambler.Scramble(table.Slice(from, count), r)));
        });
    }

    [Fact]
    public void A_canonical_slice_is_the_normalised_slice()
    {
        ForAllTables((r, table) =>
        {
            var canonical = CanonicalArrays.Normalize(table);
            for (int i = 0; i < 5; i++)
            {
                int from = r.Next(table.Length + 1);
                int count = r.Next(table.Length - from + 1);
                var fast = CanonicalSlice.Of(canonical, from, count);
                Assert.True(CanonicalArrays.IsCanonical(fast), $"slice [{from}, +{count}) is not canonical");
                Assert.Equal(CanonicalEncoder.Encode(table.Slice(from, count)), CanonicalEncoder.Encode(fast));
            }
        });
    }

    [Fact]
    public void Preparing_batches_ahead_gives_the_same_chunks()
    {
        ForAllTables((r, table) =>
        {
            var batches = Chunked.Split(table, Chunked.RandomCuts(r, table.Length, r.Next(1, 40)));
            foreach (var parameters in new[] { Chunked.Small, Chunked.Tight })
            {
                var inline = Chunked.Table(table.Schema, batches, parameters);
                var ahead = Chunked.Table(table.Schema, batches, parameters, TableChunkerMode.PrepareAhead);
                Assert.Equal(inline.Entries, ahead.Entries);
                Assert.Equal(inline.Root, ahead.Root);
            }
        });
    }

    [Fact]
    public void The_row_hasher_agrees_with_a_slot_by_slot_reading_of_the_rule()
    {
        ForAllTables((r, table) =>
        {
            var hashes = new ulong[table.Length];
            var bits = new long[table.Length];
            RowHasher.Compute(table, hashes, bits);
            for (int i = 0; i < Math.Min(table.Length, 300); i++)
            {
                int row = r.Next(table.Length);
                var (hash, size) = ReferenceRowHash.Of(table, row);
                Assert.True(hash == hashes[row] && size == bits[row], $"row {row}: hash {hashes[row]:x16}, bits {bits[row]}; the reference says {hash:x16}, {size}");
            }
        });
    }
}
