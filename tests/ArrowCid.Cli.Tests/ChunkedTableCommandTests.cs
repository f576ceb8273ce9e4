using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Printing;
using ArrowCid.Content.Car;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.Multiformats;
using ArrowCid.Parquet.Reading;
using static ArrowCid.Cli.Tests.CliOutput;

namespace ArrowCid.Cli.Tests;

/// <summary>
/// Tables of several chunks through the command line: the table CID does not depend on how the
/// producer batched the rows (IPC, CSV, Parquet), and get, cat, export parquet and export car give
/// back the producer's rows from a table a few MiB large.
/// </summary>
public sealed class ChunkedTableCommandTests : IDisposable
{
    /// <summary>Rows of the mixed table used here: about 5 MiB of canonical Arrow, so several chunks.</summary>
    internal const int Rows = 120_000;

    /// <summary>Its seed (docs/canonical-form.md 7.6).</summary>
    internal const ulong Seed = 5;

    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Repo => _temp.File("repo");

    private CliResult InRepo(params string[] args) => CliRun.Run(["--repo", Repo, .. args]);

    /// <summary>Writes rows [0, <paramref name="rows"/>) of the mixed table as an Arrow IPC stream in batches of <paramref name="batchRows"/>.</summary>
    internal static string WriteMixedStream(TempFolder temp, string name, int rows, int batchRows) =>
        MixedStream.Write(temp, name, batchRows, (Seed, 0, rows));

    /// <summary>The one <c>table</c> line of a put or cid of one input: CID, rows, bytes, chunks.</summary>
    internal static (string Cid, long Rows, long Bytes, int Chunks) TableOf(CliResult result)
    {
        Assert.True(result.ExitCode == 0, result.Error);
        var parts = Lines(result.Out).Single(l => l.StartsWith("table ", StringComparison.Ordinal)).Split(' ');
        return (parts[1], long.Parse(parts[2], CultureInfo.InvariantCulture), long.Parse(parts[3], CultureInfo.InvariantCulture), int.Parse(parts[4], CultureInfo.InvariantCulture));
    }

    /// <summary>Asserts that <paramref name="batches"/>, in order, hold rows [0, <see cref="Rows"/>) of the mixed table.</summary>
    internal static void AssertProducerRows(IEnumerable<RecordBatch> batches)
    {
        long first = 0;
        foreach (var batch in batches)
        {
            using (batch)
            using (var expected = MixedTable.Build(Seed, first, batch.Length))
            {
                Assert.True(ArrayEquality.Equals(expected, batch, out string? difference), $"rows from {first}: {difference}");
                first += batch.Length;
            }
        }

        Assert.Equal(Rows, first);
    }

    /// <summary>A CSV file: <paramref name="header"/>, then <paramref name="line"/>(i) for i in [0, <paramref name="rows"/>).</summary>
    private string WriteCsv(string name, string header, int rows, Func<int, string> line)
    {
        string path = _temp.File(name);
        using var text = new StreamWriter(path);
        text.Write(header + "\n");
        for (int i = 0; i < rows; i++)
        {
            text.Write(line(i) + "\n");
        }

        return path;
    }

    [Fact]
    public void Put_of_the_same_rows_as_one_batch_and_as_many_prints_the_same_table_cid()
    {
        string one = WriteMixedStream(_temp, "one.arrows", Rows, Rows);
        string many = WriteMixedStream(_temp, "many.arrows", Rows, 997);

        var named = (One: TableOf(CliRun.Run("cid", one)), Many: TableOf(CliRun.Run("cid", many)));
        var stored = (One: TableOf(InRepo("put", one)), Many: TableOf(InRepo("put", many)));

        Assert.Equal(named.One, named.Many);
        Assert.Equal(named.One, stored.One);
        Assert.Equal(named.One, stored.Many);
        Assert.StartsWith("bafyrei", named.One.Cid, StringComparison.Ordinal);
        Assert.Equal(Rows, named.One.Rows);
        Assert.True(named.One.Chunks > 2, $"{named.One.Chunks} chunks");
        var json = JsonNode.Parse(InRepo("put", many, "--json").Out)![0]!;
        var chunks = json["chunks"]!.AsArray();
        Assert.Equal(named.One.Cid, json["table"]!["cid"]!.GetValue<string>());
        Assert.Equal(named.One.Chunks, chunks.Count);
        Assert.Equal(Rows, chunks.Sum(c => c!["rows"]!.GetValue<long>()));
        Assert.Equal(named.One.Bytes, chunks.Sum(c => c!["bytes"]!.GetValue<long>()));
        Assert.All(chunks, c => Assert.True(c!["bytes"]!.GetValue<long>() <= ChunkingRule.MaxBlockBytes));
        Assert.True(json["table"]!["manifest_bytes"]!.GetValue<long>() > 0);
    }

    [Fact]
    public void Get_and_cat_of_a_multi_chunk_table_give_the_producers_rows()
    {
        var table = TableOf(InRepo("put", WriteMixedStream(_temp, "t.arrows", Rows, 4096)));
        string output = _temp.File("back.arrows");

        var get = InRepo("get", table.Cid, "-o", output);
        var cat = InRepo("cat", table.Cid);

        Assert.True(get.ExitCode == 0, get.Error);
        using (var reader = new ArrowStreamReader(File.ReadAllBytes(output).AsMemory()))
        {
            var batches = reader.ReadAll().ToList();
            Assert.Equal(table.Chunks, batches.Count);
            var expected = new StringBuilder();
            for (int i = 0; i < batches.Count; i++)
            {
                expected.Append(CultureInfo.InvariantCulture, $"batch {i}: {batches[i].Length} rows\n").Append(ArrayPrinter.Format(batches[i]));
            }

            Assert.True(cat.ExitCode == 0, cat.Error);
            Assert.Equal(expected.ToString(), cat.Out.ReplaceLineEndings("\n"));
            AssertProducerRows(batches);
        }

        var limited = InRepo("cat", table.Cid, "--limit", "3");
        Assert.StartsWith("batch 0: ", limited.Out, StringComparison.Ordinal);
        Assert.EndsWith("(stopped at --limit 3)\n", limited.Out.ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public void Export_parquet_of_a_multi_chunk_table_reads_back_in_row_groups_of_whole_chunks_and_names_the_same_table()
    {
        var put = JsonNode.Parse(InRepo("put", WriteMixedStream(_temp, "t.arrows", Rows, 10_000), "--json").Out)![0]!;
        string cid = put["table"]!["cid"]!.GetValue<string>();
        var chunks = put["chunks"]!.AsArray().Select(c => (Rows: c!["rows"]!.GetValue<long>(), Bytes: c["bytes"]!.GetValue<long>())).ToArray();
        long groupBytes = 2 * chunks.Max(c => c.Bytes);
        string file = _temp.File("t.parquet");

        var export = InRepo("export", "parquet", cid, "-o", file, "--row-group-bytes", groupBytes.ToString(CultureInfo.InvariantCulture));

        Assert.True(export.ExitCode == 0, export.Error);
        Assert.Equal($"exported {Rows} rows in {chunks.Length} chunks", export.Out[..export.Out.IndexOf(" (", StringComparison.Ordinal)]);
        using (var reader = ParquetReader.Open(file))
        {
            var groups = Enumerable.Range(0, reader.RowGroupCount).Select(reader.ReadRowGroup).ToList();
            Assert.Equal(RowGroupRows(chunks, groupBytes), groups.Select(g => (long)g.Length));
            Assert.True(groups.Count > 1 && groups.Count < chunks.Length, $"{groups.Count} row groups of {chunks.Length} chunks");
            AssertProducerRows(groups);
        }

        Assert.Equal(cid, TableOf(CliRun.Run("cid", file)).Cid);
    }

    /// <summary>Rows of each row group when whole chunks are gathered up to <paramref name="limit"/> bytes (and the default row limit, not reached here).</summary>
    internal static long[] RowGroupRows(IEnumerable<(long Rows, long Bytes)> chunks, long limit)
    {
        var groups = new List<long>();
        long rows = 0;
        long bytes = 0;
        foreach (var chunk in chunks)
        {
            if (rows > 0 && bytes + chunk.Bytes > limit)
            {
                groups.Add(rows);
                (rows, bytes) = (0, 0);
            }

            rows += chunk.Rows;
            bytes += chunk.Bytes;
        }

        groups.Add(rows);
        return [.. groups];
    }

    [Fact]
    public void Export_car_of_a_multi_chunk_table_holds_its_tree_in_blocks_of_at_most_1_MiB()
    {
        var table = TableOf(InRepo("put", WriteMixedStream(_temp, "t.arrows", Rows, Rows)));
        string car = _temp.File("t.car");

        var export = InRepo("export", "car", table.Cid, "-o", car);

        Assert.True(export.ExitCode == 0, export.Error);
        using var stream = File.OpenRead(car);
        var reader = CarReader.Open(stream);
        Assert.Equal([Cid.Parse(table.Cid)], reader.Roots);
        var blocks = reader.ReadBlocks().ToList();
        Assert.All(blocks, b => Assert.True(b.Data.Length <= ChunkingRule.MaxBlockBytes, $"{b.Cid}: {b.Data.Length} bytes"));
        Assert.Equal(table.Chunks, blocks.Count(b => b.Cid.Codec == Multicodec.Raw));
        Assert.Equal(table.Bytes, blocks.Where(b => b.Cid.Codec == Multicodec.Raw).Sum(b => (long)b.Data.Length));
        Assert.Contains(blocks, b => b.Cid == Cid.Parse(table.Cid));
    }

    [Fact]
    public void The_same_rows_from_csv_parquet_and_ipc_batched_differently_give_one_table_cid()
    {
        string csv = WriteCsv("t.csv", "id,value,label", 100_000, i => string.Create(CultureInfo.InvariantCulture, $"{i},{i * 0.25},{(i % 7 == 0 ? string.Empty : "row-" + (i * 7919 % 100_003))}"));

        var small = TableOf(InRepo("put", csv, "--batch-size", "1000"));
        var large = TableOf(InRepo("put", csv, "--batch-size", "40000"));
        Assert.Equal(small, large);
        Assert.True(small.Chunks > 1, $"{small.Chunks} chunks");

        // The table back as IPC, rebatched in 777-row batches.
        string back = _temp.File("back.arrows");
        Assert.Equal(0, InRepo("get", small.Cid, "-o", back).ExitCode);
        string rebatched = _temp.File("rebatched.arrow");
        using (var reader = new ArrowStreamReader(File.ReadAllBytes(back).AsMemory()))
        using (var file = File.Create(rebatched))
        using (var writer = new ArrowFileWriter(file, reader.Schema))
        {
            foreach (var batch in reader.ReadAll())
            {
                using (batch)
                {
                    for (int offset = 0; offset < batch.Length; offset += 777)
                    {
                        writer.Write(batch.Slice(offset, Math.Min(777, batch.Length - offset)));
                    }
                }
            }

            writer.Finish();
        }

        // And as Parquet, a row group per chunk and row groups cut every 5,000 rows.
        string perChunk = _temp.File("chunks.parquet");
        string every5000 = _temp.File("5000.parquet");
        Assert.Equal(0, InRepo("export", "parquet", small.Cid, "-o", perChunk, "--row-group-bytes", "1").ExitCode);
        Assert.Equal(0, InRepo("export", "parquet", small.Cid, "-o", every5000, "--row-group-size", "5000").ExitCode);
        using (var reader = ParquetReader.Open(every5000))
        {
            var groups = reader.ReadAll().Select(g => { using (g) { return g.Length; } }).ToList();
            Assert.All(groups, rows => Assert.InRange(rows, 1, 5000));
            Assert.True(groups.Count >= 20, $"{groups.Count} row groups");
        }

        using (var reader = ParquetReader.Open(perChunk))
        {
            Assert.Equal(small.Chunks, reader.RowGroupCount);
        }

        Assert.Equal(small, TableOf(CliRun.Run("cid", rebatched)));
        Assert.Equal(small, TableOf(CliRun.Run("cid", perChunk)));
        Assert.Equal(small, TableOf(InRepo("put", every5000)));
    }

    [Fact]
    public void Ls_and_info_show_a_two_level_tables_nodes_and_a_node_is_not_a_table()
    {
        // 200,000 rows of three columns: 21 chunks, cut into two level-0 nodes under the root.
        string csv = WriteCsv("sensors.csv", "id,temp,station", 200_000, i => string.Create(CultureInfo.InvariantCulture, $"{i},{i * 37 % 1000 / 10.0},station-{i % 50}"));

        string table = Table(InRepo("put", csv));
        var root = JsonNode.Parse(InRepo("info", table, "--json").Out)!;
        var nodes = root["nodes"]!.AsArray().Select(n => n!.GetValue<string>()).ToArray();
        var ls = Lines(InRepo("ls", "--all").Out);

        Assert.Equal("table", root["kind"]!.GetValue<string>());
        Assert.Empty(root["chunks"]!.AsArray());
        Assert.True(nodes.Length > 1, $"{nodes.Length} nodes under the root");
        Assert.Equal(nodes.Order(StringComparer.Ordinal), ls.Where(l => l.StartsWith("table-node ", StringComparison.Ordinal)).Select(l => l.Split(' ')[1]).Order(StringComparer.Ordinal));
        var node = Lines(InRepo("info", nodes[0]).Out);
        Assert.Contains("kind: table-node", node);
        Assert.Contains(node, l => l.StartsWith("chunk: bafkrei", StringComparison.Ordinal));
        var cat = InRepo("cat", nodes[0]);
        Assert.Equal(1, cat.ExitCode);
        Assert.Contains("expected \"arrowcid/dataset\"", Assert.Single(cat.ErrorLines), StringComparison.Ordinal);
    }
}
