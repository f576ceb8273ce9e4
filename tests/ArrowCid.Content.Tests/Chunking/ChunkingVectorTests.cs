using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.Multiformats;
using ArrowCid.Content.Tests.Canonical;
using ArrowCid.TestSupport;

namespace ArrowCid.Content.Tests.Chunking;

/// <summary>
/// The committed chunking vectors (tests/ArrowCid.Content.Tests/Chunking/chunking-vectors.json,
/// described in docs/canonical-form.md, "Test vectors"): row hashes of the canonical-form vector
/// batches and of the first rows of the mixed table, the chunk boundaries, chunk CIDs and root of
/// mixed tables, and the roots of trees over synthetic chunk lists. Any change to the row hash, the
/// boundary rule or the manifest format fails here. Set ARROWCID_WRITE_CHUNKING_VECTORS=1 to
/// rewrite the file after a deliberate, announced change of the rule.
/// </summary>
public class ChunkingVectorTests
{
    private const string RelativePath = "tests/ArrowCid.Content.Tests/Chunking/chunking-vectors.json";

    private static readonly string[] CanonicalBatches = ["empty", "int32_with_null", "mixed", "dictionary_and_list", "struct_view_and_runs"];

    private static readonly (string Name, ulong Seed, int Rows)[] Tables = [("empty", 1, 0), ("small", 7, 1000), ("mixed", 42, 900_000)];

    private static readonly (string Name, int Chunks)[] Trees = [("synthetic-2", 2), ("synthetic-5000", 5000)];

    [Fact]
    public void The_rule_gives_the_committed_vectors()
    {
        var computed = Compute();
        string path = Path.Combine(RepositoryPaths.Root ?? throw new DirectoryNotFoundException("repository root"), RelativePath);
        if (Environment.GetEnvironmentVariable("ARROWCID_WRITE_CHUNKING_VECTORS") == "1")
        {
            File.WriteAllText(path, computed.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
            return;
        }

        var committed = JsonNode.Parse(File.ReadAllText(path))!;
        foreach (string section in new[] { "rule", "row_hashes", "tables", "null_tables", "trees" })
        {
            Assert.True(JsonNode.DeepEquals(committed[section], computed[section]), $"section \"{section}\" differs from {RelativePath}:\n{Differences(committed[section]!, computed[section]!)}");
        }
    }

    private static JsonObject Compute() => new()
    {
        ["description"] = "Chunking test vectors, see docs/canonical-form.md: Tables, content-defined chunks; Test vectors.",
        ["rule"] = new JsonObject
            {
                ["target_bytes"] = ChunkingRule.TargetBits / 8,
                ["min_bytes"] = ChunkingRule.MinBits / 8,
                ["max_nominal_bytes"] = ChunkingRule.MaxNominalBits / 8,
                ["max_block_bytes"] = ChunkingRule.MaxBlockBytes,
                ["max_rows"] = ChunkingRule.MaxRows,
                ["seed"] = Hex(RowHashMath.Seed),
                ["multiplier"] = Hex(RowHashMath.Multiplier),
                ["null_word"] = Hex(RowHashMath.NullWord),
                ["rotation"] = RowHashMath.Rotation,
                ["max_node_entries"] = TableTreeNode.MaxEntries,
            },
        ["row_hashes"] = new JsonArray([.. CanonicalBatches.Select(name => RowHashes($"canonical-form.md section 5: {name}", CanonicalVectorTests.Batch(name))),
            RowHashes("mixed table, seed 42, rows 0-15", MixedTable.Build(42, 0, 16))]),
        ["tables"] = new JsonArray([.. Tables.Select(t => TableVector(t.Name, t.Seed, t.Rows))]),
        ["null_tables"] = new JsonArray(NullTableVector(ChunkingRule.MaxRows + 3, batchRows: 1 << 22)),
        ["trees"] = new JsonArray([.. Trees.Select(t => TreeVector(t.Name, t.Chunks))]),
    };

    /// <summary>
    /// A table of one Null column: rows of no nominal size, which only the row limit cuts (a chunk
    /// of MaxRows rows, then the rest), in batches of <paramref name="batchRows"/>.
    /// </summary>
    internal static JsonObject NullTableVector(int rows, int batchRows)
    {
        var schema = new Schema([new Field("n", ArrowType.Null)]);
        var batches = Enumerable.Range(0, (rows + batchRows - 1) / batchRows)
            .Select(i => Math.Min(batchRows, rows - (i * batchRows)))
            .Select(length => new RecordBatch(schema, length, [new ArrayData(ArrowType.Null, length, length, 0, [])]));
        var chunked = Chunked.Table(schema, batches);
        return new JsonObject
        {
            ["name"] = "one Null column",
            ["rows"] = rows,
            ["root"] = chunked.Root.ToString(),
            ["chunks"] = ChunksOf(chunked),
        };
    }

    private static JsonObject RowHashes(string what, RecordBatch batch)
    {
        var hashes = new ulong[batch.Length];
        var bits = new long[batch.Length];
        RowHasher.Compute(batch, hashes, bits);
        return new JsonObject
        {
            ["batch"] = what,
            ["rows"] = new JsonArray([.. hashes.Select((h, i) => (JsonNode)new JsonObject { ["hash"] = Hex(h), ["bits"] = bits[i] })]),
        };
    }

    private static JsonObject TableVector(string name, ulong seed, int rows)
    {
        // Batches of 10,000 rows: the vectors hold whatever the batching, the tests of the chunker show.
        var chunked = Chunked.Table(MixedTable.Schema, MixedTable.Batches(seed, 0, rows, 10_000));
        var table = TableManifest.Open(chunked.Root, cid => cid == chunked.Entries[0].Cid
            ? ArrowCid.Content.Canonical.CanonicalEncoder.Encode(chunked.Chunks[0].Batch)
            : chunked.Tree.Blocks.Single(b => b.Cid == cid).Bytes);
        return new JsonObject
        {
            ["name"] = name,
            ["seed"] = seed,
            ["rows"] = rows,
            ["root"] = chunked.Root.ToString(),
            ["height"] = table.Height,
            ["nodes"] = chunked.Tree.Blocks.Count,
            ["chunk_bytes"] = chunked.Entries.Sum(e => e.Bytes),
            ["chunks"] = ChunksOf(chunked),
        };
    }

    // Every chunk's first row, rows, block bytes and CID, in row order.
    private static JsonArray ChunksOf(ChunkedTable chunked) => new([.. chunked.Chunks.Zip(chunked.Entries).Select(p => (JsonNode)new JsonObject
    {
        ["first_row"] = p.First.FirstRow,
        ["rows"] = p.First.Rows,
        ["bytes"] = p.Second.Bytes,
        ["cid"] = p.Second.Cid.ToString(),
    })]);

    /// <summary>Chunk i of a synthetic list: the raw CID of the UTF-8 bytes "chunk i", 1000 + i mod 7 rows, 200000 + i bytes.</summary>
    internal static TableTreeEntry SyntheticChunk(int i) =>
        new(Cid.ForRaw(Encoding.UTF8.GetBytes($"chunk {i}")), 1000 + (i % 7), 200_000 + i);

    private static JsonObject TreeVector(string name, int chunks)
    {
        var tree = TableTreeBuilder.Build(MixedTable.Schema, Enumerable.Range(0, chunks).Select(SyntheticChunk));
        return new JsonObject
        {
            ["name"] = name,
            ["schema"] = "the mixed table's",
            ["chunks"] = chunks,
            ["root"] = tree.Root.ToString(),
            ["root_bytes"] = tree.RootBlock!.Bytes.Length,
            ["nodes_per_level"] = new JsonArray([.. tree.Blocks.GroupBy(b => b.Level).OrderBy(g => g.Key).Select(g => (JsonNode)g.Count())]),
        };
    }

    private static string Hex(ulong value) => value.ToString("x16", CultureInfo.InvariantCulture);

    private static string Differences(JsonNode expected, JsonNode actual)
    {
        var e = expected.ToJsonString().Split(',');
        var a = actual.ToJsonString().Split(',');
        int at = 0;
        while (at < Math.Min(e.Length, a.Length) && e[at] == a[at])
        {
            at++;
        }

        return $"first difference at item {at}: expected …{string.Join(',', e.Skip(at).Take(3))}… got …{string.Join(',', a.Skip(at).Take(3))}…";
    }
}
