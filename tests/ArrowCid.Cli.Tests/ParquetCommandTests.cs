using System.Text.Json;
using System.Text.Json.Nodes;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Parquet.Reading;
using ArrowCid.Repository;
using ArrowCid.Content.Multiformats;
using static ArrowCid.Cli.Tests.CliOutput;

namespace ArrowCid.Cli.Tests;

public sealed class ParquetCommandTests : IDisposable
{
    private const string Primitive = "1.0.0-littleendian/generated_primitive";
    private const string Datetime = "1.0.0-littleendian/generated_datetime";
    private const string Nested = "1.0.0-littleendian/generated_nested";
    private const string Decimal = "1.0.0-littleendian/generated_decimal";
    private const string Metadata = "1.0.0-littleendian/generated_custom_metadata";
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Repo => _temp.File("repo");

    private CliResult InRepo(params string[] args) => CliRun.Run(["--repo", Repo, .. args]);

    private static string Value(ParquetReader reader, string key) =>
        reader.KeyValueMetadata.Single(p => p.Key == key).Value!;

    [Theory]
    [InlineData("zstd")]
    [InlineData("snappy")]
    [InlineData("gzip")]
    [InlineData("lz4")]
    [InlineData("brotli")]
    [InlineData("none")]
    public void Export_of_a_table_reads_back_equal_to_the_repository_chunks_with_every_codec(string codec)
    {
        string dataset = Table(InRepo("put", Golden.File(Primitive)));
        string[] batches = [dataset];
        string output = _temp.File($"out-{codec}.parquet");

        var export = InRepo("export", "parquet", dataset, "-o", output, "--compression", codec);

        Assert.True(export.ExitCode == 0, export.Error);
        Assert.Contains($"to {output}", export.Out, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_temp.Path, ".*.tmp"));
        using var reader = ParquetReader.Open(output);
        Assert.Equal(JsonSerializer.Serialize(batches), Value(reader, "arrowcid.cids"));
        Assert.Equal(dataset, Value(reader, "arrowcid.dataset"));
        using var content = ContentRepository.Open(Repo);
        var expected = content.ReadBatches(Cid.Parse(dataset)).ToList();
        Assert.Equal(expected.Count, reader.RowGroupCount);
        for (int g = 0; g < expected.Count; g++)
        {
            using var actual = reader.ReadRowGroup(g);
            Assert.True(ArrayEquality.Equals(expected[g], actual, out string? difference), difference);
            expected[g].Dispose();
        }
    }

    [Theory]
    [InlineData(Primitive)]
    [InlineData(Decimal)]
    [InlineData(Nested)]
    [InlineData(Metadata)]
    public void Exporting_what_was_imported_gives_back_the_same_cids(string golden)
    {
        var put = InRepo("put", Golden.File(golden), "--json");
        Assert.True(put.ExitCode == 0, put.Error);
        string dataset = JsonNode.Parse(put.Out)![0]!["table"]!["cid"]!.GetValue<string>();
        string output = _temp.File("round.parquet");
        Assert.Equal(0, InRepo("export", "parquet", dataset, "-o", output, "--compression", "zstd").ExitCode);

        var again = CliRun.Run("cid", output, "--json");
        Assert.Equal(JsonNode.Parse(put.Out)![0]!["chunks"]!.ToJsonString(), JsonNode.Parse(again.Out)![0]!["chunks"]!.ToJsonString());
        Assert.Equal(dataset, Table(CliRun.Run("cid", output)));

        // And a second generation: put of the Parquet file, export, cid.
        string stored = Table(InRepo("put", output));
        Assert.Equal(dataset, stored);
        string second = _temp.File("second.parquet");
        Assert.Equal(0, InRepo("export", "parquet", stored, "-o", second).ExitCode);
        Assert.Equal(CliRun.Run("cid", output).Out, CliRun.Run("cid", second).Out);
    }

    [Fact]
    public void Many_tables_become_one_file_without_a_dataset_key_in_row_groups_of_whole_chunks()
    {
        // Two one-chunk tables of one schema (100 and 300 rows of the mixed table).
        string[] tables =
        [
            Table(InRepo("put", ChunkedTableCommandTests.WriteMixedStream(_temp, "a.arrows", 100, 100))),
            Table(InRepo("put", ChunkedTableCommandTests.WriteMixedStream(_temp, "b.arrows", 300, 100))),
        ];
        string output = _temp.File("tables.parquet");
        string perChunk = _temp.File("per-chunk.parquet");

        Assert.Equal(0, InRepo("export", "parquet", tables[1], tables[0], tables[1], "-o", output).ExitCode);
        Assert.Equal(0, InRepo("export", "parquet", tables[1], tables[0], tables[1], "-o", perChunk, "--row-group-bytes", "1").ExitCode);

        using var reader = ParquetReader.Open(output);
        Assert.Equal(JsonSerializer.Serialize(new[] { tables[1], tables[0], tables[1] }), Value(reader, "arrowcid.cids"));
        Assert.DoesNotContain(reader.KeyValueMetadata, p => p.Key == "arrowcid.dataset");
        // Small chunks share a row group up to --row-group-bytes; 1 byte makes a group per chunk.
        Assert.Equal(700, Assert.Single(reader.ReadAll().ToList()).Length);
        using var split = ParquetReader.Open(perChunk);
        Assert.Equal([300, 100, 300], split.ReadAll().Select(b => { using (b) { return b.Length; } }));
    }

    [Fact]
    public void Row_group_size_splits_batches_and_stdout_gets_the_file()
    {
        string dataset = Table(InRepo("put", Golden.File(Primitive)));
        using var content = ContentRepository.Open(Repo);
        var rows = content.OpenTable(Cid.Parse(dataset)).Chunks().Select(b => b.Rows).ToList();

        var result = InRepo("export", "parquet", dataset, "-o", "-", "--row-group-size", "7", "--page-size", "64");

        Assert.True(result.ExitCode == 0, result.Error);
        using var reader = ParquetReader.Open(result.BinaryOut.AsMemory());
        Assert.Equal(rows.Sum(r => (r + 6) / 7), reader.RowGroupCount);
        Assert.Equal(rows.Sum(), reader.ReadAll().Sum(b => b.Length));
    }

    [Fact]
    public void Cids_with_different_schemas_are_refused_and_no_file_appears()
    {
        string first = Table(InRepo("put", Golden.File(Primitive)));
        string second = Table(InRepo("put", Golden.File(Datetime)));
        string output = _temp.File("mixed.parquet");

        var result = InRepo("export", "parquet", first, second, "-o", output);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("another schema", result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Unknown_cid_and_bad_options_fail_clearly()
    {
        var missing = InRepo("export", "parquet", "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku", "-o", _temp.File("x.parquet"));
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("not found", missing.Error, StringComparison.Ordinal);

        Assert.Equal(2, InRepo("export", "parquet", "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku", "--compression", "lzo").ExitCode);
        Assert.Equal(2, InRepo("export", "parquet", "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku", "--row-group-size", "0").ExitCode);
    }

    [Fact]
    public void Put_of_a_parquet_file_names_the_same_table_whatever_its_row_groups_and_cid_agrees()
    {
        string dataset = Table(InRepo("put", Golden.File(Primitive)));
        string output = _temp.File("groups.parquet");
        Assert.Equal(0, InRepo("export", "parquet", dataset, "-o", output, "--row-group-size", "5").ExitCode);
        using (var reader = ParquetReader.Open(output))
        {
            var computed = CliRun.Run("cid", output);
            var put = CliRun.Run("--repo", _temp.File("repo2"), "put", output);
            Assert.Equal(computed.Out, put.Out);
            Assert.True(reader.RowGroupCount > 1, $"{reader.RowGroupCount} row groups");
            Assert.Equal(dataset, Table(put));
        }

        var stdin = CliRun.RunWithInput(File.ReadAllBytes(output), "cid", "--format", "parquet", "-");
        Assert.Equal(CliRun.Run("cid", output).Out, stdin.Out);
    }

    [Fact]
    public void A_damaged_parquet_file_fails_with_one_line_naming_it()
    {
        string path = _temp.File("bad.parquet");
        File.WriteAllBytes(path, "PAR1 not really parquet PAR1"u8.ToArray());

        var result = CliRun.Run("cid", path);

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith($"arrowcid: {path}: ", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Quickstart_also_exports_parquet()
    {
        var result = CliRun.Run("quickstart");

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("Parquet", result.Out, StringComparison.Ordinal);
        Assert.Contains("the same table CID", result.Out, StringComparison.Ordinal);
    }
}
