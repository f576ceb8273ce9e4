using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Canonical;
using ArrowCid.Content.Chunking;
using ArrowCid.Node;

namespace ArrowCid.Cli.Tests;

public sealed class ShmCommandTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly string _shm = Path.Combine("/dev/shm", "arrowcid-cli-shm-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        _folder.Dispose();
        if (Directory.Exists(_shm))
        {
            Directory.Delete(_shm, recursive: true);
        }
    }

    [Fact]
    public void Publish_prints_one_line_per_batch_and_path_cat_ls_stat_and_watch_see_it()
    {
        var builder = new RecordBatchBuilder(new Schema([new Field("x", ArrowType.Int64)]));
        builder.AppendRow(41L);
        builder.AppendRow(42L);
        var batch = builder.Build();
        string input = _folder.File("in.arrows");
        File.WriteAllBytes(input, CanonicalEncoder.Encode(batch));
        string cid = CanonicalEncoder.ComputeCid(batch).ToString();

        var publish = CliRun.Run("shm", "publish", input, "--tag", "topic=t", "--shm-dir", _shm);
        Assert.Equal(0, publish.ExitCode);
        Assert.Equal($"batch {cid} 2 {new FileInfo(input).Length}", publish.Out.Trim());

        var path = CliRun.Run("shm", "path", cid, "--shm-dir", _shm);
        Assert.Equal(File.ReadAllBytes(input), File.ReadAllBytes(path.Out.Trim()));

        var cat = CliRun.Run("shm", "cat", cid, "--shm-dir", _shm);
        Assert.Equal(0, cat.ExitCode);
        Assert.Contains("42", cat.Out, StringComparison.Ordinal);

        Assert.StartsWith(cid + " ", CliRun.Run("shm", "ls", "--shm-dir", _shm).Out, StringComparison.Ordinal);
        Assert.Contains("segments: 1", CliRun.Run("shm", "stat", "--shm-dir", _shm).Out, StringComparison.Ordinal);

        var watch = CliRun.Run("shm", "watch", "--from", "0", "--count", "1", "--tag", "topic=t", "--shm-dir", _shm);
        Assert.Equal($"1 {cid} 2 {new FileInfo(input).Length} topic=t", watch.Out.Trim());

        // The same as JSON: one document for ls and stat, a line per notice for watch.
        var segments = System.Text.Json.Nodes.JsonNode.Parse(CliRun.Run("shm", "ls", "--shm-dir", _shm, "--json").Out)!.AsArray();
        Assert.Equal(cid, (string)Assert.Single(segments)!["cid"]!);
        var stat = System.Text.Json.Nodes.JsonNode.Parse(CliRun.Run("shm", "stat", "--shm-dir", _shm, "--json").Out)!;
        Assert.Equal(1, (long)stat["segments"]!);
        var notice = System.Text.Json.Nodes.JsonNode.Parse(CliRun.Run("shm", "watch", "--from", "0", "--count", "1", "--shm-dir", _shm, "--jsonl").Out.Trim())!;
        Assert.Equal(1, (long)notice["sequence"]!);
        Assert.Equal("t", (string)notice["tags"]!["topic"]!);
    }

    [Fact]
    public async Task A_small_batch_published_into_the_arena_is_fetched_by_flight_get_from_a_node_serving_the_store()
    {
        var builder = new RecordBatchBuilder(new Schema([new Field("x", ArrowType.Int64)]));
        foreach (long value in new[] { 1L, 2L, 3L })
        {
            builder.AppendRow(value);
        }

        using var batch = builder.Build();
        string input = _folder.File("small.arrows");
        File.WriteAllBytes(input, CanonicalEncoder.Encode(batch));
        var publish = CliRun.Run("shm", "publish", input, "--shm-dir", _shm);
        Assert.Equal(0, publish.ExitCode);
        string cid = publish.Out.Split(' ')[1];

        // What `arrowcid serve` does with this host's store, on a port of its own.
        using var store = SharedMemory.ShmStore.Open(new SharedMemory.ShmStoreOptions { BaseDirectory = _shm });
        Assert.NotNull(Assert.Single(store.List()).ArenaOffset);
        using var content = Repository.ContentRepository.Open(_folder.File("repo"));
        await using var node = await Flight.Hosting.FlightNode.StartAsync(content, new Flight.Hosting.FlightNodeOptions
        {
            Node = new NodeOptions { SharedMemory = store },
        });

        string output = _folder.File("out.arrows");
        var get = CliRun.Run("flight", "--server", node.Location, "get", cid, "-o", output);
        Assert.True(get.ExitCode == 0, get.Error);
        Assert.Equal(File.ReadAllBytes(input), File.ReadAllBytes(output));
        var info = CliRun.Run("flight", "--server", node.Location, "info", cid);
        Assert.True(info.ExitCode == 0, info.Error);
        Assert.Contains("rows: 3", CliOutput.Lines(info.Out));
    }

    [Fact]
    public void A_large_batch_is_published_as_a_table_that_path_cat_and_watch_name_by_its_root()
    {
        var table = MixedTable.Build(7, 0, 60_000);
        var cid = Repository.ContentRepository.ComputeCids(MixedTable.Schema, [table]).Table.Cid;
        string whole = _folder.File("whole.arrows");
        File.WriteAllBytes(whole, CanonicalEncoder.Encode(table));
        string split = _folder.File("split.arrows");
        using (var file = File.Create(split))
        using (var writer = new ArrowStreamWriter(file, MixedTable.Schema))
        {
            foreach (var batch in MixedTable.Batches(7, 0, 60_000, 25_000))
            {
                writer.Write(batch);
            }

            writer.Finish();
        }

        var publish = CliRun.Run("shm", "publish", whole, "--tag", "topic=t", "--shm-dir", _shm);
        Assert.Equal(0, publish.ExitCode);
        string[] fields = publish.Out.Trim().Split(' ');
        Assert.Equal(["table", cid.ToString(), "60000"], fields[..3]);
        int chunks = int.Parse(fields[4], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(chunks > 2, publish.Out);
        // The same rows in three batches, as one table: the same CID.
        Assert.Equal(publish.Out.Trim(), CliRun.Run("shm", "publish", "--table", split, "--shm-dir", _shm).Out.Trim());

        // --json: the table as put --json describes one (cid, rows, bytes, chunks), with its notice's sequence.
        var json = System.Text.Json.Nodes.JsonNode.Parse(CliRun.Run("shm", "publish", "--table", split, "--shm-dir", _shm, "--json").Out)!.AsArray().Single()!;
        Assert.Equal(split, (string)json["input"]!);
        Assert.Equal(cid.ToString(), (string)json["table"]!["cid"]!);
        Assert.Equal(60_000, (long)json["table"]!["rows"]!);
        Assert.Equal(chunks, (long)json["table"]!["chunks"]!);
        Assert.Equal(long.Parse(fields[3], System.Globalization.CultureInfo.InvariantCulture), (long)json["table"]!["bytes"]!);
        Assert.True(json.AsObject().ContainsKey("sequence"));

        var paths = CliRun.Run("shm", "path", cid.ToString(), "--shm-dir", _shm).Out.Trim().Split('\n');
        Assert.Equal(chunks, paths.Length);
        long rows = 0;
        foreach (string path in paths)
        {
            byte[] bytes = File.ReadAllBytes(path);
            Assert.True(bytes.Length <= ChunkingRule.MaxBlockBytes);
            Assert.Equal(Path.GetFileNameWithoutExtension(path), CanonicalEncoder.VerifyCanonical(bytes.AsMemory()).ToString());
            using var reader = new ArrowStreamReader(bytes.AsMemory());
            using var chunk = reader.ReadNext()!;
            rows += chunk.Length;
        }

        Assert.Equal(60_000, rows);

        var cat = CliRun.Run("shm", "cat", cid.ToString(), "-n", "3", "--shm-dir", _shm);
        Assert.Equal(0, cat.ExitCode);
        Assert.StartsWith("chunk 0: ", cat.Out, StringComparison.Ordinal);
        Assert.Contains("(stopped at --limit 3)", cat.Out, StringComparison.Ordinal);

        var watch = CliRun.Run("shm", "watch", "--from", "0", "--count", "1", "--shm-dir", _shm);
        Assert.Equal($"1 {cid} 60000 {fields[3]} topic=t", watch.Out.Trim());
    }

    [Fact]
    public void Unknown_cids_and_bad_tags_fail_with_one_line()
    {
        var missing = CliRun.Run("shm", "cat", "bafkreiffokis3t2fey3tnosxji3bzad2ggxralbbl7nrbn2l2hvnfwincq", "--shm-dir", _shm);
        Assert.Equal(1, missing.ExitCode);
        Assert.Single(missing.ErrorLines);
        Assert.Contains("no shared-memory segment", missing.Error, StringComparison.Ordinal);

        var missingTable = CliRun.Run("shm", "cat", "bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy", "--shm-dir", _shm);
        Assert.Equal(1, missingTable.ExitCode);
        Assert.Single(missingTable.ErrorLines);
        Assert.Contains("manifest node", missingTable.Error, StringComparison.Ordinal);

        var notOurs = CliRun.Run("shm", "path", "bafybeigdyrzt5sxp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi", "--shm-dir", _shm);
        Assert.Equal(1, notOurs.ExitCode);
        Assert.Single(notOurs.ErrorLines);

        var notACid = CliRun.Run("shm", "path", "hello", "--shm-dir", _shm);
        Assert.Equal(1, notACid.ExitCode);
        Assert.Contains("not a CID", notACid.Error, StringComparison.Ordinal);

        var badTag = CliRun.Run("shm", "publish", "x.arrows", "--tag", "novalue", "--shm-dir", _shm);
        Assert.Equal(1, badTag.ExitCode);
        Assert.Contains("KEY=VALUE", badTag.Error, StringComparison.Ordinal);
    }
}
