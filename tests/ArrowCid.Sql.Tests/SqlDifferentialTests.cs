using System.Globalization;
using System.Text;
using System.Text.Json;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Types;
using ArrowCid.Repository;
using ArrowCid.Repository.Export;
using ArrowCid.TestSupport;

namespace ArrowCid.Sql.Tests;

/// <summary>
/// A differential test of <c>arrowcid sql</c>: a few hundred generated queries (filters, aggregates,
/// joins, window functions, nulls, lists and structs, two versions of a table) answered by
/// <see cref="SqlEngine"/> over the repository's blocks, handed to DuckDB through the Arrow C Stream
/// Interface, and by an independent DuckDB (<c>@duckdb/node-api</c>) reading our Parquet exports of
/// the same versions with its own Parquet reader (interop/node/test/sql-differential.test.mjs). The
/// answers, every row rendered as DuckDB's text and sorted, must be equal. Skipped, with the reason
/// printed, when node or the package is not installed — a failure instead under CI=true.
/// </summary>
[Trait("Category", "Peers")]
public sealed class SqlDifferentialTests(Xunit.Abstractions.ITestOutputHelper output)
{
    // The count, then each row as DuckDB's text, sorted: the same rows whatever order the query leaves open.
    private const string Wrap = "SELECT count(*)::VARCHAR || chr(10) || coalesce(string_agg(CAST(q AS VARCHAR), chr(10) ORDER BY CAST(q AS VARCHAR)), '') FROM (<QUERY>) q";

    private static readonly Schema Facts = new(
    [
        new Field("id", ArrowType.Int64, nullable: false),
        new Field("grp", ArrowType.Utf8),
        new Field("x", ArrowType.Float64),
        new Field("flag", ArrowType.Boolean),
        new Field("ts", ArrowType.Timestamp(TimeUnit.Microsecond)),
        new Field("tags", ArrowType.List(new Field("item", ArrowType.Utf8))),
        new Field("pt", ArrowType.Struct(new Field("a", ArrowType.Int32), new Field("b", ArrowType.Utf8))),
    ]);

    private static readonly Schema Dims = new(
    [
        new Field("grp", ArrowType.Utf8),
        new Field("label", ArrowType.Utf8),
        new Field("weight", ArrowType.Int32),
    ]);

    private static readonly string?[] Groups = ["alpha", "beta", "gamma", "delta", null];
    private static readonly string[] Tags = ["red", "green", "blue", "cyan"];

    [Fact]
    public async Task Generated_queries_answer_the_same_through_our_blocks_and_DuckDBs_Parquet_reader()
    {
        if (NodeInteropRunner.Unavailable("@duckdb/node-api") is { } why)
        {
            output.WriteLine(CiEnvironment.SkipOrFail(why));
            return;
        }

        string folder = Directory.CreateTempSubdirectory("arrowcid-sql-diff-").FullName;
        try
        {
            using var content = ContentRepository.Open(Path.Combine(folder, "repo"));
            var v1 = content.PutStream(Facts, [FactsBatch(0, 600, 0)], new PutOptions { Name = "facts" });
            var v2 = content.PutStream(Facts, [FactsBatch(0, 700, 1)], new PutOptions { Name = "facts" });
            var dims = content.PutStream(Dims, [DimsBatch()], new PutOptions { Name = "dims" });
            var files = new Dictionary<string, string>
            {
                ["facts@1"] = Export(content, v1.Table.Cid, Path.Combine(folder, "facts-1.parquet")),
                ["facts"] = Export(content, v2.Table.Cid, Path.Combine(folder, "facts-2.parquet")),
                ["dims"] = Export(content, dims.Table.Cid, Path.Combine(folder, "dims.parquet")),
            };
            var queries = Generate(new Random(67), 300);
            string input = Path.Combine(folder, "input.json");
            string answers = Path.Combine(folder, "answers.json");
            await File.WriteAllTextAsync(input, JsonSerializer.Serialize(new { files, queries, wrap = Wrap }));

            var result = await NodeInteropRunner.RunTestAsync(
                "test/sql-differential.test.mjs",
                NodeInteropRunner.FixturesDirectory("sql"),
                TimeSpan.FromMinutes(5),
                new Dictionary<string, string> { ["ARROWCID_SQL_DIFF"] = input, ["ARROWCID_SQL_DIFF_OUT"] = answers });
            Assert.True(result.ExitCode == 0, $"node --test failed with exit code {result.ExitCode}:\n{result.Log}");
            var theirs = JsonSerializer.Deserialize<List<string>>(await File.ReadAllTextAsync(answers))!;
            Assert.Equal(queries.Count, theirs.Count);

            using var engine = SqlEngine.Open(content);
            int compared = 0;
            for (int i = 0; i < queries.Count; i++)
            {
                string ours = Answer(engine, queries[i]);
                Assert.False(theirs[i].StartsWith("error:", StringComparison.Ordinal), $"query {i} failed in the judge: {queries[i]}\n{theirs[i]}");
                Assert.True(ours == theirs[i], $"query {i} differs: {queries[i]}\nours:\n{Head(ours)}\nDuckDB over Parquet:\n{Head(theirs[i])}");
                compared++;
            }

            // Most answers have rows: equal answers are not equally empty ones.
            int withRows = theirs.Count(a => !a.StartsWith("0\n", StringComparison.Ordinal));
            output.WriteLine($"{compared} queries answered the same, {withRows} with rows");
            Assert.True(compared >= 300);
            Assert.True(withRows >= compared * 8 / 10, $"only {withRows} of {compared} answers have rows");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static string Answer(SqlEngine engine, string query)
    {
        string text = Wrap.Replace("<QUERY>", query.Replace("{facts@1}", "\"facts@1\"", StringComparison.Ordinal).Replace("{facts}", "facts", StringComparison.Ordinal).Replace("{dims}", "dims", StringComparison.Ordinal), StringComparison.Ordinal);
        using var result = engine.Query(text);
        return (string)Arrow.Printing.ArrayPrinter.GetValue(result.Answer.Batches[0].Columns[0], 0)!;
    }

    private static string Head(string text) => text.Length <= 600 ? text : text[..600] + "…";

    private static string Export(ContentRepository content, Content.Multiformats.Cid cid, string path)
    {
        var plan = ParquetCidExport.Resolve(content, [cid]);
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write);
        ParquetCidExport.Write(content, plan, file, ParquetCidExport.WithMetadata(plan, new Parquet.Writing.ParquetWriteOptions()), _ => { });
        return path;
    }

    /// <summary>Queries from templates, their constants drawn from <paramref name="random"/>; {NAME} stands for a table.</summary>
    private static List<string> Generate(Random random, int count)
    {
        string T() => random.Next(3) == 0 ? "{facts@1}" : "{facts}";
        string Op() => new[] { "<", "<=", ">", ">=", "=", "<>" }[random.Next(6)];
        string Group() => Groups[random.Next(4)]!;
        string Number(double max) => (random.Next((int)(max * 4)) / 4.0).ToString(CultureInfo.InvariantCulture);
        Func<string>[] templates =
        [
            // Filters.
            () => $"SELECT id, grp, x FROM {T()} WHERE x {Op()} {Number(24)}",
            () => $"SELECT id, flag FROM {T()} WHERE grp = '{Group()}' {(random.Next(2) == 0 ? "AND" : "OR")} x IS NULL",
            () => $"SELECT * FROM {T()} WHERE id BETWEEN {random.Next(300)} AND {300 + random.Next(400)} AND flag",
            () => $"SELECT id, grp FROM {T()} WHERE grp LIKE '{Group()[..2]}%' AND id % {2 + random.Next(9)} = {random.Next(2)}",
            () => $"SELECT id, ts FROM {T()} WHERE ts >= TIMESTAMP '2026-01-01' + INTERVAL {random.Next(600)} MINUTE ORDER BY id LIMIT {1 + random.Next(40)}",
            // Aggregates.
            () => $"SELECT grp, count(*) AS n, sum(x) AS s, avg(x) AS a, min(ts) AS first, max(id) AS last FROM {T()} WHERE id % {1 + random.Next(7)} = 0 GROUP BY grp",
            () => $"SELECT flag, grp, count(DISTINCT x) AS d, bool_and(x > {Number(10)}) AS all_over FROM {T()} GROUP BY ALL",
            () => $"SELECT grp, list(id ORDER BY id)[1:3] AS firsts, string_agg(DISTINCT pt.b, ',' ORDER BY pt.b) AS bs FROM {T()} GROUP BY grp HAVING count(*) > {random.Next(100)}",
            () => $"SELECT count(*) AS n, sum(x) FILTER (WHERE flag) AS s FROM {T()} WHERE x {Op()} {Number(24)}",
            // Nulls.
            () => $"SELECT coalesce(grp, 'none') AS g, count(x) AS valued, count(*) - count(x) AS nulls FROM {T()} GROUP BY ALL",
            () => $"SELECT id, x IS NULL AS missing, nullif(grp, '{Group()}') AS g FROM {T()} WHERE id < {random.Next(200)}",
            // Joins.
            () => $"SELECT f.id, d.label, f.x * d.weight AS w FROM {T()} f JOIN {{dims}} d ON f.grp = d.grp WHERE f.id < {random.Next(700)}",
            () => $"SELECT d.label, count(f.id) AS n FROM {{dims}} d LEFT JOIN {T()} f ON f.grp = d.grp AND f.x > {Number(20)} GROUP BY d.label",
            () => $"SELECT a.id, a.x AS before, b.x AS after FROM {{facts@1}} a JOIN {{facts}} b USING (id) WHERE a.x IS DISTINCT FROM b.x",
            () => $"SELECT id FROM {{facts}} EXCEPT SELECT id FROM {{facts@1}}",
            () => $"SELECT a.grp, count(*) AS pairs FROM {T()} a JOIN {T()} b ON a.grp = b.grp AND a.id < b.id AND b.id - a.id < {1 + random.Next(5)} GROUP BY a.grp",
            // Window functions.
            () => $"SELECT id, grp, row_number() OVER (PARTITION BY grp ORDER BY id DESC) AS rn FROM {T()} QUALIFY rn <= {1 + random.Next(5)}",
            () => $"SELECT id, sum(x) OVER (PARTITION BY grp ORDER BY id ROWS BETWEEN {random.Next(4)} PRECEDING AND CURRENT ROW) AS s FROM {T()} WHERE id < {100 + random.Next(500)}",
            () => $"SELECT id, lag(x) OVER (ORDER BY id) AS prev, lead(grp, {1 + random.Next(3)}) OVER (ORDER BY id) AS next FROM {T()} WHERE id % {2 + random.Next(5)} = 0",
            () => $"SELECT grp, id, rank() OVER (PARTITION BY grp ORDER BY x NULLS FIRST) AS r, ntile(4) OVER (ORDER BY id) AS q FROM {T()}",
            // Lists and structs.
            () => $"SELECT id, tags, len(tags) AS n FROM {T()} WHERE list_contains(tags, '{Tags[random.Next(Tags.Length)]}')",
            () => $"SELECT tag, count(*) AS n FROM (SELECT unnest(tags) AS tag FROM {T()}) GROUP BY tag",
            () => $"SELECT pt.a, pt.b, count(*) AS n FROM {T()} WHERE pt.a % {2 + random.Next(4)} = 0 GROUP BY ALL",
            () => $"SELECT id, pt, struct_pack(k := id, g := grp) AS made, [x, x * 2] AS xs FROM {T()} WHERE id < {random.Next(80)}",
        ];
        var queries = new List<string>(count);
        for (int i = 0; i < count; i++)
        {
            queries.Add(templates[i % templates.Length]());
        }

        return queries;
    }

    private static RecordBatch FactsBatch(int first, int rows, int version)
    {
        var builder = new RecordBatchBuilder(Facts);
        var start = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Unspecified);
        for (int i = first; i < first + rows; i++)
        {
            // Quarters: sums of them are exact in binary, whatever order an aggregate adds them in.
            double? x = i % 13 == 0 ? null : (i * 7 % 97) / 4.0 + (version == 1 && i % 17 == 0 ? 0.5 : 0);
            var tags = i % 11 == 0 ? null : Enumerable.Range(0, i % 4).Select(t => Tags[(i + t) % Tags.Length]).ToList();
            var point = i % 19 == 0 ? null : new object?[] { i % 23, i % 29 == 0 ? null : $"b{i % 6}" };
            builder.AppendRow((long)i, Groups[i % Groups.Length], x, i % 7 == 0 ? null : i % 3 == 0, start.AddMinutes(i), tags, point);
        }

        return builder.Build();
    }

    private static RecordBatch DimsBatch()
    {
        var builder = new RecordBatchBuilder(Dims);
        builder.AppendRow("alpha", "A", 1);
        builder.AppendRow("beta", "B", 2);
        builder.AppendRow("gamma", "G", 3);
        builder.AppendRow("omega", "O", 4);
        builder.AppendRow(null, "nothing", null);
        return builder.Build();
    }
}
