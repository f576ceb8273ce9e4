using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.CData;
using ArrowCid.Arrow.Tests.CData;
using ArrowCid.Arrow.Types;
using Xunit.Abstractions;
using ArrowCid.DuckDb;

namespace ArrowCid.Arrow.Tests.DuckDb;

/// <summary>DuckDB (libduckdb.so, C++) as an independent peer of our C Data Interface, both ways.</summary>
public class DuckDbArrowTests(ITestOutputHelper output)
{
    private const int BatchRows = 1000;
    private const int Batches = 3;

    private static readonly Schema ScanSchema = new([
        new Field("i", ArrowType.Int32),
        new Field("d", ArrowType.Float64),
        new Field("s", ArrowType.Utf8),
        new Field("l", ArrowType.List(new Field("item", ArrowType.Int32))),
        new Field("st", ArrowType.Struct(new Field("a", ArrowType.Int32), new Field("b", ArrowType.Utf8))),
        new Field("ts", ArrowType.Timestamp(TimeUnit.Microsecond, "UTC")),
        new Field("dec", ArrowType.Decimal(10, 2)),
        new Field("dict", ArrowType.Dictionary(ArrowType.Int32, ArrowType.Utf8)),
    ]);

    private static readonly string[] Colours = ["red", "green", "blue", "amber"];

    private static int? I(int r) => r % 7 == 3 ? null : r - 1200;

    private static double D(int r) => r * 0.25 - 100;

    private static string? S(int r) => r % 11 == 5 ? null : "s" + (r * 37 % 1009).ToString("D4", CultureInfo.InvariantCulture);

    private static int[]? L(int r) => r % 13 == 0 ? null : [.. Enumerable.Range(0, r % 4).Select(k => r + k)];

    private static long Ts(int r) => 1_700_000_000_000_000L + r * 1_000_003L;

    private static decimal Dec(int r) => (r % 500 - 250) * 1.01m;

    private static string? Dict(int r) => r % 17 == 0 ? null : Colours[r % Colours.Length];

    private static List<RecordBatch> ScanBatches()
    {
        var batches = new List<RecordBatch>();
        for (int b = 0; b < Batches; b++)
        {
            var builder = new RecordBatchBuilder(ScanSchema);
            for (int r = b * BatchRows; r < (b + 1) * BatchRows; r++)
            {
                builder.AppendRow(I(r), D(r), S(r), L(r), r % 9 == 0 ? null : new object?[] { r, "b" + r }, Ts(r), Dec(r), Dict(r));
            }

            batches.Add(builder.Build());
        }

        return batches;
    }

    [Fact]
    public void DuckDb_scans_our_stream_and_answers_sql_like_csharp()
    {
        using var db = DuckDbSession.TryOpen(output.WriteLine);
        if (db is null)
        {
            return;
        }

        var batches = ScanBatches();
        // DuckDB copies the stream structure and never releases it: ours stays allocated (and is
        // released by us) for as long as the connection lives.
        nint stream = CAbi.Alloc(CAbi.StreamSize);
        try
        {
            CArrowArrayStreamExporter.Export(ScanSchema, batches, stream);
            Assert.Equal(DuckDbNative.Success, db.Api.ArrowScan(db.Connection, "arrow_source", stream));
            // The scan is single-pass: copy it into a table once, then query the table.
            db.Query("CREATE TABLE t AS SELECT * FROM arrow_source").Dispose();

            var rows = Enumerable.Range(0, Batches * BatchRows).ToList();
            Assert.Equal(rows.Count, db.Int64("SELECT count(*) FROM t"));
            Assert.Equal(rows.Sum(r => (long?)I(r)), db.Int64("SELECT sum(i) FROM t"));
            Assert.Equal(rows.Count(r => I(r) is null), db.Int64("SELECT count(*) FROM t WHERE i IS NULL"));
            Assert.Equal(rows.Sum(D), db.Double("SELECT sum(d) FROM t"), 6);
            Assert.Equal(rows.Select(S).Where(s => s is not null).Max(StringComparer.Ordinal), db.Text("SELECT max(s) FROM t"));
            Assert.Equal(rows.Count(r => S(r) is null), db.Int64("SELECT count(*) FROM t WHERE s IS NULL"));
            Assert.Equal(rows.Sum(r => L(r)?.Sum(v => (long)v) ?? 0), db.Int64("SELECT sum(list_sum(l)) FROM t"));
            Assert.Equal(rows.Count(r => L(r) is null), db.Int64("SELECT count(*) FROM t WHERE l IS NULL"));
            Assert.Equal(rows.Where(r => r % 9 != 0).Sum(r => (long)r), db.Int64("SELECT sum(st.a) FROM t"));
            Assert.Equal("b" + rows.Where(r => r % 9 != 0).Max(), db.Text("SELECT st.b FROM t WHERE st.a = (SELECT max(st.a) FROM t)"));
            Assert.Equal(rows.Max(Ts), db.Int64("SELECT epoch_us(max(ts)) FROM t"));
            Assert.Equal("TIMESTAMP WITH TIME ZONE", db.Text("SELECT typeof(ts) FROM t LIMIT 1"));
            Assert.Equal(rows.Sum(Dec).ToString("F2", CultureInfo.InvariantCulture), db.Text("SELECT CAST(sum(dec) AS VARCHAR) FROM t"));
            Assert.Equal("DECIMAL(10,2)", db.Text("SELECT typeof(dec) FROM t LIMIT 1"));

            var expectedGroups = rows.GroupBy(Dict).Where(g => g.Key is not null).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key}={g.Count()}").ToList();
            using (var groups = db.Query("SELECT dict, count(*) FROM t WHERE dict IS NOT NULL GROUP BY dict ORDER BY dict"))
            {
                var actual = Enumerable.Range(0, (int)db.Api.RowCount(groups.Pointer))
                    .Select(row => $"{db.Api.Varchar(groups.Pointer, 0, row)}={db.Api.ValueInt64(groups.Pointer, 1, (ulong)row)}").ToList();
                Assert.Equal(expectedGroups, actual);
            }

            Assert.Equal(rows.Count(r => Dict(r) is null), db.Int64("SELECT count(*) FROM t WHERE dict IS NULL"));
            output.WriteLine($"DuckDB scanned {rows.Count} rows in {Batches} batches and answered 17 queries as computed in C#");
        }
        finally
        {
            db.Dispose();
            CAbi.Free(stream, CAbi.StreamRelease);
            batches.ForEach(b => b.Dispose());
        }
    }

    [Fact]
    public void DuckDb_query_results_import_as_the_expected_arrays()
    {
        using var db = DuckDbConnection.TryOpen();
        if (db is null)
        {
            return;
        }

        const int rows = 5000;
        using var answer = db.QueryArrow(
            $"SELECT range AS i, i*1.5 AS d, 'x'||i AS s, CASE WHEN i%3=0 THEN NULL ELSE i END AS n, [i, i+1] AS l, {{'a': i}} AS st FROM range({rows})");
        var schema = answer.Schema;
        Assert.Equal(["i", "d", "s", "n", "l", "st"], schema.Fields.Select(f => f.Name));
        Assert.Equal(ArrowTypeId.Int64, schema.Fields[0].Type.Id);
        Assert.True(schema.Fields[1].Type.IsDecimal, schema.Fields[1].Type.ToString());
        Assert.Equal(1, schema.Fields[1].Type.Scale);

        int seen = 0;
        foreach (var batch in answer.Batches)
        {
            CheckChunk(batch, seen);
            seen += batch.Length;
        }

        Assert.Equal(rows, seen);
        Assert.False(answer.Truncated);
        output.WriteLine($"DuckDB exported {seen} rows in {answer.Batches.Count} chunks; every value imported as expected. Schema:\n{schema}");
    }

    private static void CheckChunk(RecordBatch batch, int first)
    {
        var i = batch.Column(0);
        var d = batch.Column(1);
        var s = batch.Column(2);
        var n = batch.Column(3);
        var l = batch.Column(4);
        var st = batch.Column(5);
        var iValues = i.GetValues<long>();
        var nValues = n.GetValues<long>();
        var lItems = l.Children[0];
        var a = st.Children[0];
        var aValues = a.GetValues<long>();
        int scale = d.Type.Scale;
        for (int row = 0; row < batch.Length; row++)
        {
            long v = first + row;
            Assert.Equal(v, iValues[row]);
            Assert.Equal(v * 15 * BigInteger.Pow(10, scale - 1), Unscaled(d, row));
            Assert.Equal("x" + v, s.GetString(row));
            Assert.Equal(v % 3 == 0, n.IsNull(row));
            if (v % 3 != 0)
            {
                Assert.Equal(v, nValues[row]);
            }

            var (start, end) = l.GetListRange(row);
            Assert.Equal(2, end - start);
            var items = lItems.GetValues<long>();
            Assert.Equal(v, items[(int)start]);
            Assert.Equal(v + 1, items[(int)start + 1]);
            Assert.True(st.IsValid(row));
            Assert.Equal(v, aValues[row]);
        }
    }

    private static BigInteger Unscaled(ArrayData decimals, int row)
    {
        int width = decimals.Type.BitWidth / 8;
        var bytes = decimals.Buffers[1].Span.Slice((decimals.Offset + row) * width, width);
        return new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
    }
}
