using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Multiformats;
using ArrowCid.Repository;
using static ArrowCid.Cli.Tests.CliOutput;

namespace ArrowCid.Cli.Tests;

public sealed class CsvCommandTests : IDisposable
{
    private const string Weather =
        "station,city,temperature,observed,ok\n" +
        "101,Lisbon,14.5,2024-03-01T06:00:00Z,true\n" +
        "102,\"Oslo, NO\",-3.25,2024-03-01T06:30:00Z,false\n" +
        "103,,21,2024-03-01T07:00:00+01:00,\n";

    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Repo => _temp.File("repo");

    private string Write(string name, string text)
    {
        string path = _temp.File(name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Put_of_a_csv_stores_the_inferred_table_and_cid_agrees()
    {
        string path = Write("weather.csv", Weather);

        var computed = CliRun.Run("cid", path);
        var put = CliRun.Run("--repo", Repo, "put", path);

        Assert.Equal(computed.Out, put.Out);
        string table = Table(put);
        var schema = new Schema(
        [
            new Field("station", ArrowType.Int64),
            new Field("city", ArrowType.Utf8),
            new Field("temperature", ArrowType.Float64),
            new Field("observed", ArrowType.Timestamp(TimeUnit.Microsecond, "UTC")),
            new Field("ok", ArrowType.Boolean),
        ]);
        var expected = new RecordBatchBuilder(schema);
        var start = new DateTimeOffset(2024, 3, 1, 6, 0, 0, TimeSpan.Zero);
        expected.AppendRow(101L, "Lisbon", 14.5, start, true);
        expected.AppendRow(102L, "Oslo, NO", -3.25, start.AddMinutes(30), false);
        expected.AppendRow(103L, null, 21.0, start, null);
        using var content = ContentRepository.Open(Repo);
        using var stored = content.OpenBatch(Cid.Parse(table));
        Assert.True(ArrayEquality.Equals(expected.Build(), stored, out string? difference), difference);
    }

    [Fact]
    public void Options_shape_the_types_and_the_batch_size_leaves_the_table_as_it_is()
    {
        string path = Write("data.txt", "1|'a|b'|2024-01-01\n2|c|2024-01-02\n3|d|\n");
        string[] options = ["--format", "csv", "--delimiter", "|", "--quote", "'", "--no-header", "--schema", "f0:int32,f2:timestamp[ms]"];

        string table = Table(CliRun.Run(["--repo", Repo, "put", path, .. options, "--batch-size", "2"]));

        // Batches of 2 rows are read, but chunk boundaries depend only on the rows: one chunk of 3.
        Assert.Equal(table, Table(CliRun.Run(["cid", path, .. options, "--batch-size", "1"])));
        using var content = ContentRepository.Open(Repo);
        var stored = content.OpenTable(Cid.Parse(table));
        Assert.Equal([3L], stored.Chunks().Select(c => c.Rows));
        Assert.Equal("f0:int32,f1:utf8,f2:timestamp[ms]", Ingest.Csv.CsvSchemaSpec.Format(stored.Schema.Fields));
    }

    [Fact]
    public void Tsv_is_tab_separated_and_stdin_needs_the_format()
    {
        string tsv = Write("data.tsv", Weather.Replace(',', '\t').Replace("\"Oslo\t NO\"", "Oslo, NO", StringComparison.Ordinal));
        string csv = Write("data.csv", Weather.Replace("\"Oslo, NO\"", "\"Oslo, NO\"", StringComparison.Ordinal));

        var fromTsv = CliRun.Run("cid", tsv);
        var fromCsv = CliRun.Run("cid", csv);
        var fromStdin = CliRun.RunWithInput(Text.Utf8(Weather), "cid", "--format", "csv", "-");

        Assert.Equal(fromCsv.Out, fromTsv.Out);
        Assert.Equal(fromCsv.Out, fromStdin.Out);
    }

    [Fact]
    public void A_csv_imported_then_exported_to_parquet_gives_back_the_same_cids()
    {
        string path = Write("weather.csv", Weather);
        var put = CliRun.Run("--repo", Repo, "put", path, "--batch-size", "2");
        string dataset = Table(put);
        string parquet = _temp.File("weather.parquet");

        Assert.Equal(0, CliRun.Run("--repo", Repo, "export", "parquet", dataset, "-o", parquet).ExitCode);

        Assert.Equal(put.Out, CliRun.Run("cid", parquet).Out);
    }

    [Theory]
    [InlineData("a,b\n1,2\n3,4,5\n", "line 3, column 3")]
    [InlineData("a,b\n1,2\n3,\"4\n", "line 3")]
    [InlineData("a,b\n1,2\n", null)]
    public void Malformed_csv_fails_with_line_and_column(string text, string? fragment)
    {
        string path = Write("bad.csv", text);
        var result = CliRun.Run("cid", path);
        if (fragment is null)
        {
            Assert.Equal(0, result.ExitCode);
            return;
        }

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith($"arrowcid: {path}: ", line, StringComparison.Ordinal);
        Assert.Contains(fragment, line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_value_past_the_inference_rows_names_where_and_how_to_fix_it()
    {
        string path = Write("late.csv", "n\n1\n2\n3\nfour\n");

        var result = CliRun.Run("--repo", Repo, "put", path, "--infer-rows", "2");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("line 5, column 1", result.Error, StringComparison.Ordinal);
        Assert.Contains("'n:utf8'", result.Error, StringComparison.Ordinal);
        Assert.Equal(0, CliRun.Run("cid", path, "--schema", "n:utf8", "--infer-rows", "2").ExitCode);
    }

    [Theory]
    [InlineData("--schema", "a:nope")]
    [InlineData("--delimiter", "ab")]
    [InlineData("--quote", ",")]
    public void Bad_csv_options_are_one_line_failures(string option, string value)
    {
        string path = Write("ok.csv", "a\n1\n");
        var result = CliRun.Run("cid", path, option, value);
        Assert.Equal(1, result.ExitCode);
        Assert.Single(result.ErrorLines);
    }

    [Fact]
    public void Batch_size_must_be_positive()
    {
        Assert.Equal(2, CliRun.Run("cid", Write("x.csv", "a\n1\n"), "--batch-size", "0").ExitCode);
    }
}
