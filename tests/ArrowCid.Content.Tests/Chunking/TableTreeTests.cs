using System.Text;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Canonical;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.DagCbor;
using ArrowCid.Content.Datasets;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Tests.Chunking;

/// <summary>
/// The version-2 manifest tree over synthetic chunk lists: it reads back to the same chunks,
/// node boundaries are content-defined (an edit changes only the nodes on its path), every node
/// stays within its limits, and malformed nodes are refused with <see cref="ContentFormatException"/>.
/// </summary>
public class TableTreeTests
{
    private static readonly Schema Schema = new([new Field("x", ArrowType.Int64)], [KeyValuePair.Create("table", "tree test")]);

    private static TableTreeEntry Chunk(int i, string salt = "") =>
        new(Cid.ForRaw(Encoding.UTF8.GetBytes($"chunk {i}{salt}")), 1000 + (i % 7), 200_000 + i);

    private static List<TableTreeEntry> Chunks(int count) => [.. Enumerable.Range(0, count).Select(i => Chunk(i))];

    private static Func<Cid, ReadOnlyMemory<byte>> Store(TableTreeResult tree)
    {
        var blocks = tree.Blocks.ToDictionary(b => b.Cid, b => (ReadOnlyMemory<byte>)b.Bytes);
        return cid => blocks.TryGetValue(cid, out var bytes) ? bytes : throw new KeyNotFoundException(cid.ToString());
    }

    [Theory]
    [InlineData(2)]
    [InlineData(63)]
    [InlineData(1000)]
    [InlineData(20_000)]
    public void A_tree_reads_back_to_its_chunks(int count)
    {
        var chunks = Chunks(count);
        var tree = TableTreeBuilder.Build(Schema, chunks);
        var table = TableManifest.Open(tree.Root, Store(tree));
        Assert.Equal(2, table.Version);
        Assert.Equal(chunks, table.Chunks());
        Assert.Equal(chunks.Sum(c => c.Rows), table.Rows);
        Assert.Equal(chunks.Sum(c => c.Bytes), table.Bytes);
        Assert.Equal(CanonicalArrays.Normalize(Schema), table.Schema);
        Assert.Equal(tree.Blocks.Select(b => b.Cid).ToHashSet(), table.Nodes().ToHashSet());
        Assert.Equal(tree.Root, tree.Blocks[^1].Cid);
        Assert.All(tree.Blocks, b => Assert.True(b.Bytes.Length <= ChunkingRule.MaxBlockBytes));
        // About one entry in 64 ends a node: 20,000 chunks make three levels.
        Assert.Equal(count switch { < 64 => 1, 1000 => 2, _ => 3 }, table.Height);
    }

    [Fact]
    public void Streaming_gives_the_same_blocks_as_building_at_once()
    {
        var chunks = Chunks(5000);
        var builder = new TableTreeBuilder(Schema);
        var streamed = new List<TableTreeBlock>();
        int early = 0;
        foreach (var chunk in chunks)
        {
            var blocks = builder.Add(chunk);
            early += blocks.Count;
            streamed.AddRange(blocks);
        }

        var result = builder.Finish();
        streamed.AddRange(result.Blocks);
        var whole = TableTreeBuilder.Build(Schema, chunks);
        Assert.Equal(whole.Root, result.Root);
        Assert.Equal(whole.Blocks.Select(b => b.Cid), streamed.Select(b => b.Cid));
        Assert.True(early > streamed.Count / 2, $"only {early} of {streamed.Count} nodes were returned before the end");
    }

    [Fact]
    public void A_one_chunk_table_is_named_by_its_chunk()
    {
        var chunk = Chunk(7) with { Rows = 0 };
        var tree = TableTreeBuilder.Build(Schema, [chunk]);
        Assert.Equal(chunk.Cid, tree.Root);
        Assert.Empty(tree.Blocks);
        Assert.Throws<ArgumentException>(() => TableTreeBuilder.Build(Schema, [chunk, Chunk(8)]));
    }

    [Fact]
    public void The_schema_and_its_metadata_are_part_of_the_identity()
    {
        var chunks = Chunks(300);
        var other = new Schema(Schema.Fields, [KeyValuePair.Create("table", "another")]);
        Assert.NotEqual(TableTreeBuilder.Build(Schema, chunks).Root, TableTreeBuilder.Build(other, chunks).Root);
        var reordered = new Schema(Schema.Fields, [KeyValuePair.Create("b", "2"), KeyValuePair.Create("a", "1")]);
        var sorted = new Schema(Schema.Fields, [KeyValuePair.Create("a", "1"), KeyValuePair.Create("b", "2")]);
        Assert.Equal(TableTreeBuilder.Build(sorted, chunks).Root, TableTreeBuilder.Build(reordered, chunks).Root);
    }

    [Theory]
    [InlineData("update")]
    [InlineData("insert")]
    [InlineData("delete")]
    [InlineData("append")]
    public void An_edit_changes_only_the_nodes_on_its_path(string edit)
    {
        var chunks = Chunks(20_000);
        var before = TableTreeBuilder.Build(Schema, chunks);
        var edited = new List<TableTreeEntry>(chunks);
        switch (edit)
        {
            case "update": edited[10_000] = Chunk(10_000, " updated"); break;
            case "insert": edited.InsertRange(10_000, [Chunk(1, " new"), Chunk(2, " new")]); break;
            case "delete": edited.RemoveRange(10_000, 3); break;
            default: edited.AddRange([Chunk(20_000), Chunk(20_001)]); break;
        }

        var after = TableTreeBuilder.Build(Schema, edited);
        var old = before.Blocks.Select(b => b.Cid).ToHashSet();
        int changed = after.Blocks.Count(b => !old.Contains(b.Cid));
        // The path is three nodes; a boundary moved by the edit may change one neighbour per level.
        Assert.InRange(changed, 1, 6);
    }

    [Fact]
    public void Nodes_without_boundaries_end_at_the_entry_limit()
    {
        // CIDs whose digest never marks a boundary: level 0 can only end nodes at the limit.
        var chunks = new List<TableTreeEntry>();
        for (int i = 0; chunks.Count < (2 * TableTreeNode.MaxEntries) + 5; i++)
        {
            var chunk = Chunk(i);
            if (!TableTreeBuilder.IsBoundary(chunk.Cid))
            {
                chunks.Add(chunk);
            }
        }

        var tree = TableTreeBuilder.Build(Schema, chunks);
        var store = Store(tree);
        var leaves = tree.Blocks.Where(b => b.Level == 0).Select(b => TableTreeNode.Decode(b.Bytes, b.Cid, root: false)).ToList();
        Assert.Equal([TableTreeNode.MaxEntries, TableTreeNode.MaxEntries, 5], leaves.Select(n => n.Entries.Count));
        Assert.All(tree.Blocks, b => Assert.True(b.Bytes.Length < ChunkingRule.MaxBlockBytes / 2));
        Assert.Equal(chunks, TableManifest.Open(tree.Root, store).Chunks());
    }

    [Fact]
    public void A_version_1_manifest_opens_as_a_table()
    {
        var manifest = DatasetManifest.Create(Schema, [new DatasetBatch(Chunk(1).Cid, 10, 500), new DatasetBatch(Chunk(2).Cid, 20, 600)]).Encode();
        var table = TableManifest.Open(manifest.Cid, cid => manifest.Bytes);
        Assert.Equal(1, table.Version);
        Assert.Equal(30, table.Rows);
        Assert.Equal([Chunk(1).Cid, Chunk(2).Cid], table.Chunks().Select(c => c.Cid));
        Assert.Empty(table.Nodes());
    }

    [Fact]
    public void A_chunk_opens_as_a_table_of_one_chunk()
    {
        var batch = MixedTable.Build(3, 0, 10);
        var bytes = CanonicalEncoder.Encode(batch);
        var cid = Cid.ForRaw(bytes);
        var table = TableManifest.Open(cid, _ => bytes);
        Assert.Equal(0, table.Version);
        Assert.Equal(10, table.Rows);
        Assert.Equal([new TableTreeEntry(cid, 10, bytes.Length)], table.Chunks());
        Assert.Throws<ContentFormatException>(() => TableManifest.Open(cid, _ => bytes.AsMemory(1)));
    }

    // ---- malformed nodes ----

    /// <summary>A two-level tree whose root's first child is replaced by <paramref name="child"/> (re-linked, totals kept consistent where the test wants).</summary>
    private static (Cid Root, Func<Cid, ReadOnlyMemory<byte>> Fetch) WithChild(DagNode child, bool fixTotals = true)
    {
        var tree = TableTreeBuilder.Build(Schema, Chunks(1000));
        var store = Store(tree);
        var root = TableTreeNode.Decode(tree.RootBlock!.Bytes, tree.Root, root: true);
        byte[] childBytes = DagCborEncoder.EncodeBlock(child, out var childCid);
        var entries = root.Entries.ToList();
        var totals = fixTotals && child.TryGetValue("rows", out var rows) && rows.Kind == DagKind.Integer && child.TryGetValue("bytes", out var bytes) && bytes.Kind == DagKind.Integer
            ? (rows.AsInt64(), bytes.AsInt64())
            : (entries[0].Rows, entries[0].Bytes);
        entries[0] = new TableTreeEntry(childCid, totals.Item1, totals.Item2);
        var newRoot = TableTreeNode.Root(root.Level, entries, root.SchemaMessage.ToArray()).Encode();
        return (newRoot.Cid, cid => cid == childCid ? childBytes : cid == newRoot.Cid ? newRoot.Bytes : store(cid));
    }

    private static DagNode FirstLeaf(out TableTreeNode node)
    {
        var tree = TableTreeBuilder.Build(Schema, Chunks(1000));
        var leaf = tree.Blocks.First(b => b.Level == 0);
        node = TableTreeNode.Decode(leaf.Bytes, leaf.Cid, root: false);
        return node.ToNode();
    }

    private static DagNode Replace(DagNode map, string key, DagNode? value) =>
        DagNode.MapOf(map.Entries.Where(e => e.Key != key).Select(e => (e.Key, e.Value)).Concat(value is null ? [] : [(key, value)]));

    private static void AssertRefused(DagNode child, string expected, bool fixTotals = true)
    {
        var (root, fetch) = WithChild(child, fixTotals);
        var error = Assert.Throws<ContentFormatException>(() => TableManifest.Open(root, fetch).Chunks().ToList());
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_child_of_the_wrong_level_is_refused()
    {
        // A well-formed level-1 node (it links level-0 nodes) where the root links a level-0 node.
        var tree = TableTreeBuilder.Build(Schema, Chunks(1000));
        var root = TableTreeNode.Decode(tree.RootBlock!.Bytes, tree.Root, root: true);
        AssertRefused(TableTreeNode.Inner(1, root.Entries.Take(2).ToList()).ToNode(), "level 1 where its parent links a level-0 node");
    }

    [Fact]
    public void A_child_whose_totals_disagree_with_its_parent_is_refused()
    {
        // The second leaf linked with the first leaf's totals.
        var tree = TableTreeBuilder.Build(Schema, Chunks(1000));
        var second = tree.Blocks.Where(b => b.Level == 0).Skip(1).First();
        AssertRefused(TableTreeNode.Decode(second.Bytes, second.Cid, root: false).ToNode(), "where its parent says", fixTotals: false);
    }

    [Fact]
    public void A_child_with_a_root_type_is_refused() =>
        AssertRefused(Replace(FirstLeaf(out _), "type", DagNode.Of(TableTreeNode.RootTypeName)), "expected \"arrowcid/dataset-node\"");

    [Fact]
    public void A_child_of_another_version_is_refused() =>
        AssertRefused(Replace(FirstLeaf(out _), "version", DagNode.Of(3L)), "version 3");

    [Fact]
    public void A_child_with_an_unknown_field_is_refused() =>
        AssertRefused(Replace(FirstLeaf(out _), "extra", DagNode.Of(1L)), "unknown field \"extra\"");

    [Fact]
    public void A_child_without_entries_is_refused() =>
        AssertRefused(Replace(FirstLeaf(out _), "entries", null), "lacks the field \"entries\"");

    [Fact]
    public void A_child_whose_totals_are_not_its_sums_is_refused()
    {
        var leaf = FirstLeaf(out var node);
        AssertRefused(Replace(leaf, "rows", DagNode.Of(node.Rows + 1)), "the entries add up to");
    }

    [Fact]
    public void A_level_0_link_that_is_not_a_raw_chunk_is_refused()
    {
        FirstLeaf(out var node);
        var entries = node.Entries.ToList();
        entries[0] = entries[0] with { Cid = Cid.ForDagCbor(DagCborEncoder.Encode(DagNode.Of(1L))) };
        AssertRefused(TableTreeNode.Inner(0, entries).ToNode(), "not a CIDv1 with the raw codec");
    }

    [Fact]
    public void A_chunk_entry_over_the_block_limit_is_refused()
    {
        FirstLeaf(out var node);
        var entries = node.Entries.ToList();
        entries[0] = entries[0] with { Bytes = ChunkingRule.MaxBlockBytes + 1 };
        AssertRefused(TableTreeNode.Inner(0, entries).ToNode(), "a chunk of more than one row has at most");
    }

    [Fact]
    public void A_block_that_does_not_hash_to_its_link_is_refused()
    {
        var tree = TableTreeBuilder.Build(Schema, Chunks(1000));
        var store = Store(tree);
        var leaf = tree.Blocks.First(b => b.Level == 0);
        var other = tree.Blocks.Where(b => b.Level == 0).Skip(1).First();
        var error = Assert.Throws<ContentFormatException>(() => TableManifest.Open(tree.Root, cid => cid == leaf.Cid ? other.Bytes : store(cid)).Chunks().ToList());
        Assert.Contains("does not hash", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_root_with_one_entry_is_refused()
    {
        var root = TableTreeNode.Root(0, [Chunk(1), Chunk(2)], DatasetSchemaMessage.Encode(Schema)).ToNode();
        var single = Replace(Replace(Replace(root, "entries", DagNode.ListOf(root.Entries.First(e => e.Key == "entries").Value.Items[0])), "rows", DagNode.Of(Chunk(1).Rows)), "bytes", DagNode.Of(Chunk(1).Bytes));
        byte[] bytes = DagCborEncoder.EncodeBlock(single, out var cid);
        var error = Assert.Throws<ContentFormatException>(() => TableManifest.Open(cid, _ => bytes));
        Assert.Contains("1 entries where a root holds 2 to", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_node_over_1_MiB_is_refused()
    {
        var huge = DagNode.MapOf(("type", DagNode.Of(TableTreeNode.RootTypeName)), ("version", DagNode.Of(2L)), ("pad", DagNode.OfBytes(new byte[ChunkingRule.MaxBlockBytes])));
        byte[] bytes = DagCborEncoder.EncodeBlock(huge, out var cid);
        var error = Assert.Throws<ContentFormatException>(() => TableManifest.Open(cid, _ => bytes));
        Assert.Contains("more than the 1048576 a node may have", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_root_without_a_canonical_schema_is_refused()
    {
        var root = TableTreeNode.Root(0, [Chunk(1), Chunk(2)], DatasetSchemaMessage.Encode(Schema)).ToNode();
        var broken = Replace(root, "schema", DagNode.OfBytes([1, 2, 3]));
        byte[] bytes = DagCborEncoder.EncodeBlock(broken, out var cid);
        Assert.Throws<ContentFormatException>(() => TableManifest.Open(cid, _ => bytes));
    }
}

/// <summary>
/// A node is read straight off its bytes when it is well formed, and through the general DAG-CBOR
/// decoder otherwise: both must accept exactly the same blocks and give the same node.
/// </summary>
public class TableTreeNodeFastReadTests
{
    private static readonly Schema Schema = new([new Field("x", ArrowType.Int64)], [KeyValuePair.Create("table", "fast read")]);

    private static TableTreeResult Tree(int chunks) => TableTreeBuilder.Build(
        Schema,
        [.. Enumerable.Range(0, chunks).Select(i => new TableTreeEntry(Cid.ForRaw(Encoding.UTF8.GetBytes($"chunk {i}")), 10 + i, 5_000 + i))]);

    /// <summary>What the general decoder makes of a block: the node, or the message it refuses it with.</summary>
    private static (TableTreeNode? Node, string? Refusal) General(byte[] block, Cid cid, bool root)
    {
        try
        {
            return (TableTreeNode.Read(DagCborDecoder.Decode(block), cid, root), null);
        }
        catch (ContentFormatException e)
        {
            return (null, e.Message);
        }
    }

    private static (TableTreeNode? Node, string? Refusal) Decoded(byte[] block, Cid cid, bool root)
    {
        try
        {
            return (TableTreeNode.Decode(block, cid, root), null);
        }
        catch (ContentFormatException e)
        {
            return (null, e.Message);
        }
    }

    private static void AssertSame(TableTreeNode expected, TableTreeNode actual)
    {
        Assert.Equal(expected.Level, actual.Level);
        Assert.Equal(expected.Rows, actual.Rows);
        Assert.Equal(expected.Bytes, actual.Bytes);
        Assert.Equal(expected.Entries, actual.Entries);
        Assert.Equal(expected.IsRoot, actual.IsRoot);
        Assert.True(expected.SchemaMessage.SequenceEqual(actual.SchemaMessage));
        Assert.Equal(expected.Schema, actual.Schema);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(300)]
    [InlineData(5000)]
    public void Every_node_of_a_tree_reads_the_same_both_ways(int chunks)
    {
        var tree = Tree(chunks);
        foreach (var block in tree.Blocks)
        {
            bool root = block.Cid == tree.Root;
            var general = General(block.Bytes, block.Cid, root);
            AssertSame(general.Node!, TableTreeNode.Decode(block.Bytes, block.Cid, root));
        }
    }

    [Fact]
    public void A_well_formed_node_under_a_raw_cid_is_refused()
    {
        // Its bytes hash to the CID, and the node reads straight off them: the codec is what is wrong.
        byte[] root = Tree(3).RootBlock!.Bytes;
        var error = Assert.Throws<ContentFormatException>(() => TableTreeNode.Decode(root, Cid.ForRaw(root), root: true));
        Assert.Contains("not dag-cbor", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_one_byte_change_of_a_root_is_judged_the_same_both_ways()
    {
        var tree = Tree(3);
        byte[] original = tree.RootBlock!.Bytes;
        int accepted = 0;
        for (int at = 0; at < original.Length; at++)
        {
            foreach (byte mask in new byte[] { 0x01, 0x20, 0xFF })
            {
                byte[] changed = (byte[])original.Clone();
                changed[at] ^= mask;
                // Named by its own bytes, so only the format judges it.
                var cid = Cid.ForDagCbor(changed);
                var general = General(changed, cid, root: true);
                var decoded = Decoded(changed, cid, root: true);
                Assert.Equal(general.Refusal, decoded.Refusal);
                if (general.Node is not null)
                {
                    accepted++;
                    AssertSame(general.Node, decoded.Node!);
                }
            }
        }

        // Some changes keep a valid node (a letter of the schema's metadata, say): both ways read those too.
        Assert.True(accepted > 0);
    }
}
