using System.Text;
using System.Text.Json.Nodes;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Types;
using ArrowCid.Repository;
using ArrowCid.TestSupport;

namespace ArrowCid.Sql.Tests;

public sealed class SqlEngineTests : IDisposable
{
    private static readonly Schema Readings = new([new Field("x", ArrowType.Int64, nullable: false)]);
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private ContentRepository NewRepository() => ContentRepository.Open(Path.Combine(_temp.Path, Guid.NewGuid().ToString("N")));

    private static PutStreamResult Put(ContentRepository content, int rows, string? name = null)
    {
        var builder = new RecordBatchBuilder(Readings);
        for (long r = 0; r < rows; r++)
        {
            builder.AppendRow(r);
        }

        using var batch = builder.Build();
        return content.PutStream(Readings, [batch], new PutOptions { Name = name });
    }

    private static long Count(SqlEngine engine, string sql)
    {
        using var result = engine.Query(sql);
        return (long)Arrow.Printing.ArrayPrinter.GetValue(Assert.Single(result.Answer.Batches).Columns[0], 0)!;
    }

    [Fact]
    public void A_name_is_resolved_once_per_engine_so_every_scan_of_it_reads_one_version()
    {
        using var content = NewRepository();
        var first = Put(content, 300_000, "readings");
        using var engine = SqlEngine.Open(content);
        Assert.Equal(300_000, Count(engine, "SELECT count(*) FROM readings"));

        // A new version while the engine is open: the engine's queries keep reading the one they resolved.
        Put(content, 10, "readings");
        Assert.Equal(300_000, Count(engine, "SELECT count(*) FROM readings a JOIN readings b USING (x)"));
        using var result = engine.Query("SELECT count(*) FROM \"readings@1\"");
        Assert.Equal(
            [("readings", "readings", 1L, first.Table.Cid), ("readings@1", "readings", 1L, first.Table.Cid)],
            result.Inputs.Select(i => (i.Reference, i.Name!, i.Version!.Value, i.Cid)));

        // A new engine sees the new version.
        using var later = SqlEngine.Open(content);
        Assert.Equal(10, Count(later, "SELECT count(*) FROM readings"));
    }

    [Fact]
    public void A_cid_names_a_table_or_a_one_chunk_table_held_here_and_nothing_else()
    {
        using var content = NewRepository();
        var chunked = Put(content, 300_000);
        var small = Put(content, 3);
        // A CID of bytes this repository never stored.
        var absent = Content.Multiformats.Cid.ForRaw(Encoding.UTF8.GetBytes("not a table"));
        using var engine = SqlEngine.Open(content);
        Assert.True(chunked.Table.Batches > 1);
        Assert.Equal(300_000, Count(engine, $"SELECT count(*) FROM \"{chunked.Table.Cid}\""));
        Assert.Equal(3, Count(engine, $"SELECT count(*) FROM \"{small.Table.Cid}\""));
        var refused = Assert.Throws<SqlException>(() => engine.Query($"SELECT * FROM \"{absent}\""));
        Assert.Contains("does not exist", refused.Message, StringComparison.Ordinal);
        using var after = engine.Query("SELECT 1");
        Assert.DoesNotContain(after.Inputs, i => i.Cid == absent);
    }

    [Fact]
    public void A_stored_result_answers_the_same_query_over_the_same_cids_and_only_that()
    {
        using var content = NewRepository();
        var first = Put(content, 1_000, "readings");
        const string Sql = "SELECT x % 10 AS digit, count(*) AS n FROM readings GROUP BY digit ORDER BY digit";
        SqlStored stored;
        using (var engine = SqlEngine.Open(content))
        {
            (var result, stored) = engine.QueryAndStore(Sql, new SqlStoreOptions { Name = "digits" });
            using (result)
            {
                Assert.False(stored.Reused);
                Assert.Equal(10, result.Answer.Rows);
                Assert.Equal(("digits", 1L), (stored.Version!.Name, stored.Version.Version));
            }

            // The table carries the query's key; its provenance, the query, its inputs and the engine.
            var record = content.Repository.GetRecord(stored.Table)!;
            Assert.Equal(SqlProvenance.QueryKey(Sql), record.Tags[SqlProvenance.QueryTag]);
            var made = SqlProvenance.Read(record.Provenance)!.Value;
            Assert.Equal(Sql, made.Query);
            Assert.Equal(engine.EngineVersion, made.EngineVersion);
            Assert.Equal(first.Table.Cid, Assert.Single(made.Inputs).Cid);
            Assert.Single(content.Repository.Registry.List(new Registry.RegistryQuery { Tags = new Dictionary<string, string> { [SqlProvenance.QueryTag] = SqlProvenance.QueryKey(Sql) } }));
        }

        using (var engine = SqlEngine.Open(content))
        {
            // The same query over the same CIDs: the stored table, the query not run, no new version.
            var (result, again) = engine.QueryAndStore(Sql, new SqlStoreOptions { Name = "digits" });
            using (result)
            {
                Assert.Equal((stored.Table, null, true), (again.Table, again.Version, again.Reused));
                Assert.Equal(first.Table.Cid, Assert.Single(again.Inputs).Cid);
                Assert.Equal(10, result.Answer.Rows);
                Assert.Equal(first.Table.Cid, Assert.Single(result.Inputs).Cid);
            }

            // --no-cache runs it again: an ordered query over the same rows is the same table.
            var (rerun, fresh) = engine.QueryAndStore(Sql, new SqlStoreOptions { NoCache = true });
            rerun.Dispose();
            Assert.Equal((stored.Table, null, false), (fresh.Table, fresh.Version, fresh.Reused));

            // Other text is another query.
            var (other, otherStored) = engine.QueryAndStore(Sql + " ", new SqlStoreOptions());
            other.Dispose();
            Assert.False(otherStored.Reused);
        }

        // A new version of an input: the stored result no longer answers.
        Put(content, 5, "readings");
        using (var engine = SqlEngine.Open(content))
        {
            var (result, changed) = engine.QueryAndStore(Sql, new SqlStoreOptions { Name = "digits" });
            using (result)
            {
                Assert.False(changed.Reused);
                Assert.NotEqual(stored.Table, changed.Table);
                Assert.Equal(5, result.Answer.Rows);
                Assert.Equal(2, changed.Version!.Version);
            }
        }
    }

    [Fact]
    public void The_json_answer_writes_each_kind_of_value_as_json_does()
    {
        using var content = NewRepository();
        using var engine = SqlEngine.Open(content);
        using var result = engine.Query(
            "SELECT 1 AS i, 2.5::DOUBLE AS d, 'NaN'::DOUBLE AS nan, 1.25::DECIMAL(10, 2) AS m, 'x' AS s, NULL::VARCHAR AS n, "
            + "[1, NULL, 3] AS l, {'a': 1, 'b': 'y'} AS st, DATE '2024-01-31' AS day, TIMESTAMPTZ '2024-01-31 12:00:00+00' AS ts, '\\x01\\xAB'::BLOB AS b, true AS t");
        using var document = new MemoryStream();
        SqlJson.Write(document, result);
        var json = JsonNode.Parse(document.ToArray())!;
        var row = Assert.Single(json["rows"]!.AsArray())!;
        Assert.Equal(1, row["i"]!.GetValue<long>());
        Assert.Equal(2.5, row["d"]!.GetValue<double>());
        Assert.Equal("NaN", row["nan"]!.GetValue<string>());
        Assert.Equal(1.25m, row["m"]!.GetValue<decimal>());
        Assert.Equal("x", row["s"]!.GetValue<string>());
        Assert.Null(row["n"]);
        Assert.Equal("[1,null,3]", row["l"]!.ToJsonString());
        Assert.Equal("{\"a\":1,\"b\":\"y\"}", row["st"]!.ToJsonString());
        Assert.Equal("2024-01-31", row["day"]!.GetValue<string>());
        Assert.StartsWith("2024-01-31T12:00:00", row["ts"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("01ab", row["b"]!.GetValue<string>());
        Assert.True(row["t"]!.GetValue<bool>());
        Assert.Equal(["i", "d", "nan", "m", "s", "n", "l", "st", "day", "ts", "b", "t"], json["columns"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()));
        Assert.Equal(1, json["row_count"]!.GetValue<long>());
        Assert.Empty(json["inputs"]!.AsArray());
    }
}
