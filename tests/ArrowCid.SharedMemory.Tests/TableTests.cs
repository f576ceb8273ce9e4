using System.Runtime.InteropServices;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Memory;
using ArrowCid.Content.Canonical;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.Multiformats;
using ArrowCid.Repository;

namespace ArrowCid.SharedMemory.Tests;

/// <summary>Chunked tables in the store: publish cuts a large batch (or a stream) into ≤ 1 MiB chunks under a manifest tree, attach gives them back zero-copy.</summary>
public sealed class TableTests : IDisposable
{
    // ~4.6 MB of canonical blocks: about 16 chunks of the rule's sizes.
    private const int TableRows = 100_000;

    private readonly TempStore _temp = new();

    public void Dispose() => _temp.Dispose();

    private static RecordBatch Table() => MixedTable.Build(7, 0, TableRows);

    // The test table published as chunks (more than five of them), and its chunk list.
    private static (ShmPublishResult Published, IReadOnlyList<TableTreeEntry> Chunks) PublishChunked(ShmStore store)
    {
        var published = store.Publish(Table());
        var chunks = store.OpenTable(published.Cid).Chunks;
        Assert.True(chunks.Count > 5, $"{chunks.Count} chunks");
        return (published, chunks);
    }

    private static Cid RepositoryCid(IEnumerable<RecordBatch> batches) => ContentRepository.ComputeCids(MixedTable.Schema, batches).Table.Cid;

    [Fact]
    public void A_large_batch_is_published_as_chunks_under_the_cid_a_repository_put_gives_and_attached_back_as_the_producers_rows()
    {
        using var store = _temp.Open(arena: true);
        var table = Table();
        var published = store.Publish(table, Batches.Tags("topic=big"));

        Assert.Equal(Multicodec.DagCbor, published.Cid.Codec);
        Assert.Equal(RepositoryCid([table]), published.Cid);
        Assert.Equal(TableRows, published.Rows);
        Assert.True(published.Chunks > 4, $"{published.Chunks} chunks");
        Assert.True(published.Created);
        Assert.Equal(store.PathOf(published.Cid), published.Path);
        Assert.EndsWith(".dagcbor", published.Path, StringComparison.Ordinal);

        using var attached = store.AttachTable(published.Cid);
        Assert.Equal(published.Chunks, attached.Batches.Count);
        Assert.Equal(TableRows, attached.Table.Rows);
        Assert.Equal(published.Bytes, attached.Table.Bytes);
        long row = 0;
        foreach (var chunk in attached.Batches)
        {
            Assert.True(CanonicalEncoder.EncodedLength(chunk) <= ChunkingRule.MaxBlockBytes);
            Assert.True(ArrayEquality.Equals(table.Slice((int)row, chunk.Length), chunk, out string? difference), $"chunk at row {row}: {difference}");
            row += chunk.Length;
        }

        Assert.Equal(TableRows, row);
    }

    [Fact]
    public void The_same_rows_in_other_batches_give_the_same_table_and_announce_nothing_the_second_time()
    {
        using var store = _temp.Open();
        var first = store.Publish(Table());
        var again = store.PublishTable(MixedTable.Schema, MixedTable.Batches(7, 0, TableRows, 7_001));

        Assert.Equal(first.Cid, again.Cid);
        Assert.Equal(RepositoryCid(MixedTable.Batches(7, 0, TableRows, 30_000)), again.Cid);
        Assert.False(again.Created);
        Assert.Equal(1, store.PublishedSequence);
    }

    [Fact]
    public void Subscribers_get_one_notice_for_the_table_after_its_chunks_and_nodes_are_in_place()
    {
        using var store = _temp.Open(arena: true);
        var small = store.Publish(Batches.Make(1), Batches.Tags("topic=t"));
        var feed = store.Subscribe(0);
        var published = store.Publish(Table(), Batches.Tags("topic=t"));

        var notices = new[] { feed.Next(TimeSpan.FromSeconds(5)), feed.Next(TimeSpan.FromSeconds(5)) };
        Assert.Equal((small.Cid, 1L, 16L, small.Bytes), (notices[0]!.Cid, notices[0]!.Sequence, notices[0]!.Rows, notices[0]!.Bytes));
        Assert.Equal((published.Cid, 2L, (long)TableRows, published.Bytes), (notices[1]!.Cid, notices[1]!.Sequence, notices[1]!.Rows, notices[1]!.Bytes));
        Assert.Equal("t", notices[1]!.Tags["topic"]);
        Assert.Null(feed.Next(TimeSpan.FromMilliseconds(50)));
        // What the notice names is complete: every chunk attaches.
        using var attached = store.AttachTable(notices[1]!.Cid);
        Assert.Equal(TableRows, attached.Batches.Sum(b => (long)b.Length));
    }

    [Fact]
    public void Attached_chunks_are_views_of_their_mapped_segments_each_under_its_lease()
    {
        using var store = _temp.Open();
        var published = store.Publish(Table());
        var table = store.OpenTable(published.Cid);
        var attached = store.AttachTable(published.Cid);

        Assert.Equal(table.Chunks.Select(c => c.Cid), attached.Table.Chunks.Select(c => c.Cid));
        foreach (var (chunk, entry) in attached.Batches.Zip(table.Chunks))
        {
            // Each chunk reads straight out of its own segment file's mapping: nothing was copied.
            Assert.True(MemoryMarshal.TryGetMemoryManager(chunk.Column(0).Buffers[1], out MappedFileMemory? _));
            Assert.Equal(1, chunk.Owner!.References);
            Assert.False(store.Remove(entry.Cid)); // leased
        }

        attached.Dispose();
        Assert.True(store.Remove(table.Chunks[0].Cid));
        // The root is there, so the table attaches; the missing chunk is found when reached.
        using var again = store.AttachTable(published.Cid);
        var missing = Assert.Throws<ShmSegmentNotFoundException>(() => again.Batches[0]);
        Assert.Equal(table.Chunks[0].Cid, missing.Cid);
        Assert.Equal(table.Chunks[1].Rows, again.Batches[1].Length);
    }

    [Fact]
    public void Chunks_attached_ahead_of_an_ordered_read_are_released_by_dispose_even_when_never_reached()
    {
        using var store = _temp.Open();
        var (published, chunks) = PublishChunked(store);
        for (int read = 1; read <= 3; read++)
        {
            // An ordered read of the first chunks starts the attaches of the ones after them, one per core.
            using (var attached = store.AttachTable(published.Cid))
            {
                Assert.Equal(chunks.Take(read).Sum(c => c.Rows), attached.Batches.Take(read).Sum(b => (long)b.Length));
                if (read > 1)
                {
                    // Run to the end (as a pool thread would): they hold their leases, never reached.
                    int ahead = attached.SettleAttachesAhead();
                    Assert.Equal(Math.Min(Environment.ProcessorCount, chunks.Count - read), ahead);
                    Assert.False(store.Remove(chunks[read].Cid), "the next chunk was attached ahead");
                }
            }

            // Dispose waited for them: no chunk is leased any more, reached or not.
            foreach (var chunk in chunks)
            {
                Assert.True(store.Remove(chunk.Cid), $"chunk {chunk.Cid} still leased after reading {read}");
            }

            store.Publish(Table());
        }
    }

    [Fact]
    public void A_damaged_chunk_attached_ahead_fails_only_when_the_read_reaches_it()
    {
        using var store = _temp.Open();
        var (published, chunks) = PublishChunked(store);
        const int Damaged = 3;
        SegmentFiles.Rewrite(store.PathOf(chunks[Damaged].Cid), bytes => bytes[^40] ^= 0x5A);

        using var attached = store.AttachTable(published.Cid);
        long rows = 0;
        var error = Assert.Throws<ShmSegmentCorruptedException>(() =>
        {
            foreach (var chunk in attached.Batches)
            {
                rows += chunk.Length;
            }
        });
        Assert.Equal(chunks.Take(Damaged).Sum(c => c.Rows), rows); // every chunk before it was read
        Assert.Contains(chunks[Damaged].Cid.ToString(), error.Message, StringComparison.Ordinal);
        Assert.Throws<ShmSegmentCorruptedException>(() => attached.Batches[Damaged]); // and again when asked again
        Assert.Equal(chunks[Damaged + 1].Rows, attached.Batches[Damaged + 1].Length); // the ones after it still attach
    }

    [Fact]
    public void Attaching_reads_only_the_root_and_each_chunk_attaches_once_when_first_reached()
    {
        using var store = _temp.Open();
        var (published, chunks) = PublishChunked(store);
        var inner = store.OpenTable(published.Cid).Nodes.Skip(1).ToList();
        // Everything below the root gone: attaching still works, since it reads the root alone.
        foreach (var part in chunks.Select(c => c.Cid).Concat(inner))
        {
            Assert.True(store.Remove(part));
        }

        using (var attached = store.AttachTable(published.Cid))
        {
            Assert.Equal(TableRows, attached.Table.Rows);
            Assert.Throws<ShmSegmentNotFoundException>(() => attached.Batches[0]);
        }

        // Published again: the first access attaches a chunk (one lease), later ones give the same batch.
        store.Publish(Table());
        using var table = store.AttachTable(published.Cid);
        var first = table.Batches[3];
        Assert.Same(first, table.Batches[3]);
        Assert.Equal(1, first.Owner!.References);
        Assert.False(store.Remove(chunks[3].Cid)); // leased
        Assert.True(store.Remove(chunks[4].Cid)); // never reached: not leased
        table.Dispose();
        Assert.True(store.Remove(chunks[3].Cid));
        Assert.Throws<ObjectDisposedException>(() => table.Batches[5]);
    }

    [Fact]
    public void Chunks_attach_one_at_a_time_as_the_enumeration_reaches_them()
    {
        using var store = _temp.Open(arena: true);
        var table = Table();
        var cid = store.PublishTable(MixedTable.Schema, [table]).Cid;

        long row = 0;
        foreach (var chunk in store.AttachChunks(cid))
        {
            using (chunk)
            {
                Assert.True(ArrayEquality.Equals(table.Slice((int)row, chunk.Length), chunk, out string? difference), difference);
                row += chunk.Length;
            }
        }

        Assert.Equal(TableRows, row);
    }

    [Fact]
    public void A_corrupted_chunk_segment_is_refused()
    {
        using var store = _temp.Open();
        var published = store.Publish(Table());
        var chunk = store.OpenTable(published.Cid).Chunks[2];
        FlipByte(store.PathOf(chunk.Cid), chunk.Bytes / 2);

        using var attached = store.AttachTable(published.Cid);
        var refused = Assert.Throws<ShmSegmentCorruptedException>(() => attached.Batches.Sum(b => b.Length));
        Assert.Contains(chunk.Cid.ToString(), refused.Message, StringComparison.Ordinal);
        Assert.Throws<ShmSegmentCorruptedException>(() => store.AttachChunks(published.Cid).Skip(2).First().Dispose());
    }

    [Fact]
    public void A_corrupted_or_missing_manifest_node_is_refused()
    {
        using var store = _temp.Open();
        var published = store.Publish(Table());
        FlipByte(published.Path, 40);

        var refused = Assert.Throws<ShmSegmentCorruptedException>(() => store.OpenTable(published.Cid));
        Assert.Contains("manifest node", refused.Message, StringComparison.Ordinal);
        Assert.True(store.Remove(published.Cid));
        Assert.Throws<ShmSegmentNotFoundException>(() => store.AttachTable(published.Cid));
    }

    [Fact]
    public void A_table_another_opening_of_the_store_removes_is_gone_at_once_for_a_reader_that_opened_it_before()
    {
        // Two openings of one store are what two processes see: the reader's table is kept without
        // a stat of its root until the shared count of removed files moves, which the removal does.
        using var reader = _temp.Open();
        using var remover = _temp.Open();
        var published = remover.Publish(Table());
        var first = reader.OpenTable(published.Cid);
        Assert.Same(first, reader.OpenTable(published.Cid));

        Assert.True(remover.RemoveTable(published.Cid));
        Assert.Throws<ShmSegmentNotFoundException>(() => reader.OpenTable(published.Cid));
        Assert.Throws<ShmSegmentNotFoundException>(() => reader.AttachTable(published.Cid));
    }

    [Fact]
    public void A_table_is_still_the_one_read_before_when_another_segment_is_removed()
    {
        using var store = _temp.Open();
        var published = store.Publish(Table());
        var other = store.Publish(Batches.Make(21, rows: 100));
        var first = store.OpenTable(published.Cid);

        Assert.True(store.Remove(other.Cid));
        Assert.Same(first, store.OpenTable(published.Cid)); // looked for again (a stat), still there
        Assert.Same(first, store.OpenTable(published.Cid));
    }

    [Fact]
    public void A_reopened_table_is_the_one_read_before_while_its_root_is_in_the_store_and_gone_once_removed()
    {
        using var store = _temp.Open();
        var batch = Table();
        var published = store.Publish(batch);
        var first = store.OpenTable(published.Cid);
        Assert.Same(first, store.OpenTable(published.Cid)); // the root is not read again

        // The root's bytes now on disk do not matter: the table was checked when it was read.
        FlipByte(published.Path, 40);
        Assert.Equal(first.Rows, store.OpenTable(published.Cid).Rows);

        Assert.True(store.Remove(published.Cid));
        Assert.Throws<ShmSegmentNotFoundException>(() => store.OpenTable(published.Cid));
        Assert.Throws<ShmSegmentNotFoundException>(() => store.AttachTable(published.Cid));

        // Published again: read afresh, and its chunks attach.
        store.Publish(batch);
        using var attached = store.AttachTable(published.Cid);
        Assert.Equal(TableRows, attached.Batches.Sum(b => (long)b.Length));
    }

    [Fact]
    public void A_manifest_that_disagrees_with_its_chunk_is_refused()
    {
        // A well-formed tree whose entry claims other rows than its chunk holds (hashes all match).
        using var store = _temp.Open();
        var a = store.Publish(Batches.Make(1));
        var b = store.Publish(Batches.Make(2));
        var tree = TableTreeBuilder.Build(Batches.Schema, [new TableTreeEntry(a.Cid, a.Rows + 1, a.Bytes), new TableTreeEntry(b.Cid, b.Rows, b.Bytes)]);
        File.WriteAllBytes(store.PathOf(tree.Root), tree.RootBlock!.Bytes);

        using var attached = store.AttachTable(tree.Root);
        var refused = Assert.Throws<ShmSegmentCorruptedException>(() => attached.Batches[0]);
        Assert.Contains("chunk 0", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_small_batch_stays_one_segment_under_its_raw_cid_whatever_path_decides_it()
    {
        using var store = _temp.Open(arena: true);
        // Small buffers: the fast path, no chunker.
        var small = Batches.Make(3);
        var fast = store.Publish(small);
        // Large buffers but few rows (a slice keeps its parent's buffers): the chunker finds one chunk.
        var slice = MixedTable.Build(9, 0, 50_000).Slice(100, 200);
        var chunked = store.Publish(slice);

        foreach (var (batch, published) in new[] { (small, fast), (slice, chunked) })
        {
            Assert.Equal(CanonicalEncoder.ComputeCid(batch), published.Cid);
            Assert.Equal(ContentRepository.ComputeCids(batch.Schema, [batch]).Table.Cid, published.Cid);
            Assert.Equal(1, published.Chunks);
            Assert.True(published.Created);
            Assert.EndsWith(".arrows", published.Path, StringComparison.Ordinal);
            using var attached = store.AttachTable(published.Cid);
            Assert.True(ArrayEquality.Equals(batch, Assert.Single(attached.Batches), out string? difference), difference);
        }

        Assert.Equal(2, store.PublishedSequence);
        var feed = store.Subscribe(0);
        Assert.Equal(fast.Cid, feed.Next(TimeSpan.FromSeconds(1))!.Cid);
        Assert.Equal(chunked.Cid, feed.Next(TimeSpan.FromSeconds(1))!.Cid);
    }

    [Fact]
    public void A_table_larger_than_the_capacity_is_refused()
    {
        using var store = _temp.Open(capacity: 2 << 20);
        Assert.Throws<ShmStoreFullException>(() => store.Publish(Table()));
        Assert.Equal(0, store.PublishedSequence);
    }

    [Fact]
    public void A_writer_whose_chunk_did_not_fit_cannot_finish_a_table_missing_it()
    {
        using var store = _temp.Open(capacity: 100 << 10);
        using var writer = store.CreateTableWriter(MixedTable.Schema);
        Assert.Throws<ShmStoreFullException>(() => writer.Add(Table()));
        Assert.Throws<InvalidOperationException>(() => writer.Finish());
        Assert.Equal(0, store.PublishedSequence);
    }

    [Fact]
    public void Listing_shows_chunks_and_nodes_and_attach_of_a_table_cid_as_one_batch_points_to_attach_table()
    {
        using var store = _temp.Open();
        var published = store.Publish(Table());

        var listed = store.List();
        Assert.Equal(published.Chunks + 1, listed.Count);
        Assert.Contains(listed, s => s.Cid == published.Cid && s.Path == published.Path);
        var error = Assert.Throws<ArgumentException>(() => store.Attach(published.Cid));
        Assert.Contains("AttachTable", error.Message, StringComparison.Ordinal);
    }

    private static void FlipByte(string path, long offset)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        file.Position = offset;
        int value = file.ReadByte();
        file.Position = offset;
        file.WriteByte((byte)(value ^ 0x5A));
    }
}
