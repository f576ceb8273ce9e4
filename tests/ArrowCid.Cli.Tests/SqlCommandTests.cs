using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using static ArrowCid.Cli.Tests.CliOutput;

namespace ArrowCid.Cli.Tests;

/// <summary><c>arrowcid sql</c>: SQL over the repository's tables by name, version and CID, on embedded DuckDB.</summary>
public sealed class SqlCommandTests : IDisposable
{
    private const int Rows = 5_000;
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Repo => _temp.File("repo");

    private CliResult InRepo(params string[] args) => CliRun.Run(["--repo", Repo, .. args]);

    private static JsonObject Json(CliResult result)
    {
        Assert.True(result.ExitCode == 0, result.Error);
        return JsonNode.Parse(result.Out)!.AsObject();
    }

    /// <summary>Version 1 of <c>plant-3/temps</c>: <see cref="Rows"/> readings of 3 sensors (every 7th reading missing); version 2: one row.</summary>
    private (string First, string Second) PutTwoVersions()
    {
        var csv = new StringBuilder("sensor,reading\n");
        for (int r = 0; r < Rows; r++)
        {
            csv.Append(CultureInfo.InvariantCulture, $"s{r % 3},{(r % 7 == 0 ? string.Empty : r.ToString(CultureInfo.InvariantCulture))}\n");
        }

        File.WriteAllText(_temp.File("v1.csv"), csv.ToString());
        File.WriteAllText(_temp.File("v2.csv"), "sensor,reading\ns9,42\n");
        return (Table(InRepo("put", _temp.File("v1.csv"), "--name", "plant-3/temps")), Table(InRepo("put", _temp.File("v2.csv"), "--name", "plant-3/temps")));
    }

    [Fact]
    public void A_query_reads_tables_by_name_version_and_cid_and_says_which_it_read()
    {
        var (first, second) = PutTwoVersions();
        var readings = Enumerable.Range(0, Rows).Where(r => r % 7 != 0).ToList();

        var grouped = Json(InRepo("sql", "SELECT sensor, count(reading) AS n, sum(reading)::BIGINT AS total FROM \"plant-3/temps@1\" GROUP BY sensor ORDER BY sensor", "--json"));
        var rows = grouped["rows"]!.AsArray();
        Assert.Equal(["s0", "s1", "s2"], rows.Select(r => r!["sensor"]!.GetValue<string>()));
        for (int s = 0; s < 3; s++)
        {
            Assert.Equal(readings.Count(r => r % 3 == s), rows[s]!["n"]!.GetValue<long>());
            Assert.Equal(readings.Where(r => r % 3 == s).Sum(r => (long)r), rows[s]!["total"]!.GetValue<long>());
        }

        var input = Assert.Single(grouped["inputs"]!.AsArray())!;
        Assert.Equal("plant-3/temps", input["name"]!.GetValue<string>());
        Assert.Equal(1, input["version"]!.GetValue<long>());
        Assert.Equal(first, input["cid"]!.GetValue<string>());
        Assert.False(grouped["truncated"]!.GetValue<bool>());

        // The latest version by its name, the first by its CID, joined; a self-join sees every row.
        var joined = Json(InRepo("sql", $"SELECT (SELECT count(*) FROM \"plant-3/temps\") AS latest, (SELECT count(*) FROM \"{first}\" a JOIN \"{first}\" b USING (sensor, reading)) AS self", "--json"));
        Assert.Equal(1, joined["rows"]![0]!["latest"]!.GetValue<long>());
        Assert.Equal(readings.Count, joined["rows"]![0]!["self"]!.GetValue<long>());
        Assert.Equal([second, first], joined["inputs"]!.AsArray().Select(i => i!["cid"]!.GetValue<string>()));

        var text = InRepo("sql", "SELECT count(*) AS n FROM \"plant-3/temps@1\"");
        Assert.Equal(0, text.ExitCode);
        Assert.Contains(Rows.ToString(CultureInfo.InvariantCulture), text.Out, StringComparison.Ordinal);
        Assert.EndsWith("(1 row)", text.Out.TrimEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_row_limit_cuts_the_answer_and_says_so()
    {
        PutTwoVersions();
        var cut = Json(InRepo("sql", "SELECT * FROM \"plant-3/temps@1\"", "--json", "--limit", "10"));
        Assert.Equal(10, cut["row_count"]!.GetValue<long>());
        Assert.Equal(10, cut["rows"]!.AsArray().Count);
        Assert.True(cut["truncated"]!.GetValue<bool>());
        var text = InRepo("sql", "SELECT * FROM \"plant-3/temps@1\"", "--limit", "3");
        Assert.EndsWith("(3 rows, stopped at --limit)", text.Out.TrimEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public void Put_stores_the_answer_under_a_name_and_the_same_query_is_answered_from_it()
    {
        PutTwoVersions();
        const string Sql = "SELECT sensor, count(*) AS n FROM \"plant-3/temps@1\" GROUP BY sensor ORDER BY sensor";
        var stored = Json(InRepo("sql", Sql, "--name", "counts", "--json"));
        string cid = stored["cid"]!.GetValue<string>();
        Assert.Equal("counts@1", stored["version"]!.GetValue<string>());
        Assert.False(stored["reused"]!.GetValue<bool>());

        var again = InRepo("sql", Sql, "--put");
        Assert.Equal(0, again.ExitCode);
        Assert.Contains($"table {cid} (the answer an earlier run stored", again.Out, StringComparison.Ordinal);
        var named = Json(InRepo("sql", "SELECT sum(n)::BIGINT AS total FROM counts", "--json"));
        Assert.Equal(Rows, named["rows"]![0]!["total"]!.GetValue<long>());
        Assert.Equal(cid, named["inputs"]![0]!["cid"]!.GetValue<string>());
        Assert.Contains("\"query\":\"SELECT sensor", InRepo("info", "counts").Out, StringComparison.Ordinal);

        Assert.Equal(2, InRepo("sql", Sql, "--put", "--limit", "1").ExitCode);
        Assert.Equal(2, InRepo("sql", Sql, "--no-cache").ExitCode);
    }

    [Fact]
    public void An_answer_written_to_parquet_or_an_arrow_stream_is_the_table_put_stores_and_csv_holds_its_rows()
    {
        PutTwoVersions();
        const string Sql = "SELECT sensor, count(reading) AS n FROM \"plant-3/temps@1\" GROUP BY sensor ORDER BY sensor";
        string stored = Json(InRepo("sql", Sql, "--put", "--json"))["cid"]!.GetValue<string>();
        foreach (string file in new[] { "answer.parquet", "answer.arrows" })
        {
            var written = InRepo("sql", Sql, "-o", _temp.File(file));
            Assert.Equal(0, written.ExitCode);
            Assert.Contains($"wrote 3 rows to {_temp.File(file)}", written.Out, StringComparison.Ordinal);
            // The same rows, so the same table: put of the file gives the stored result's CID.
            Assert.Equal(stored, Table(InRepo("cid", _temp.File(file))));
        }

        Assert.Equal(0, InRepo("sql", Sql, "-o", _temp.File("answer.csv")).ExitCode);
        var counts = Enumerable.Range(0, 3).Select(s => Enumerable.Range(0, Rows).Count(r => r % 3 == s && r % 7 != 0));
        Assert.Equal(["sensor,n", .. counts.Select((n, s) => $"s{s},{n}")], File.ReadAllLines(_temp.File("answer.csv")));

        Assert.Equal(2, InRepo("sql", Sql, "-o", _temp.File("answer.txt")).ExitCode);
        Assert.Equal(2, InRepo("sql", Sql, "-o", _temp.File("answer.csv"), "--json").ExitCode);
        Assert.False(File.Exists(_temp.File("answer.txt")));
    }

    [Fact]
    public void Unknown_tables_bad_sql_and_files_or_settings_are_refused_with_duckdbs_reason()
    {
        PutTwoVersions();
        string escape = _temp.File("escape.csv");
        foreach (var (sql, reason) in new[]
        {
            ("SELECT * FROM \"plant-3/temps@9\"", "does not exist"),
            ("SELECT * FROM nowhere", "does not exist"),
            ("SELEC 1", "syntax error"),
            ("SELECT * FROM read_csv('/etc/passwd')", "disabled by configuration"),
            ($"COPY (SELECT 1) TO '{escape}'", "disabled by configuration"),
            ("SET enable_external_access = true", "locked"),
        })
        {
            var refused = InRepo("sql", sql);
            Assert.Equal(1, refused.ExitCode);
            Assert.Contains(reason, refused.Error, StringComparison.Ordinal);
        }

        Assert.False(File.Exists(escape));

        // A query that never ends by itself ends at its deadline.
        var runaway = InRepo("sql", "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT max(n) FROM r", "--timeout", "1s");
        Assert.Equal(1, runaway.ExitCode);
        Assert.Contains("ran past its deadline (1 s, --timeout)", runaway.Error, StringComparison.Ordinal);
    }
}
