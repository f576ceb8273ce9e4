using System.Globalization;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Types;
using ArrowCid.DuckDb;

namespace ArrowCid.Arrow.Tests.DuckDb;

/// <summary>
/// Tables DuckDB reads by name through <see cref="DuckDbConnection.RegisterTables"/>: every scan reads
/// the table afresh (a registered Arrow stream reads once, then as empty), answers come back as Arrow,
/// and a locked-down database reaches nothing but them.
/// </summary>
public sealed class DuckDbTablesTests
{
    private const int Rows = 10_000;
    private const int BatchRows = 3_000;

    private static readonly Schema TableSchema = new([
        new Field("x", ArrowType.Int64, nullable: false),
        new Field("s", ArrowType.Utf8),
        new Field("l", ArrowType.List(new Field("item", ArrowType.Int64))),
        new Field("colour", ArrowType.Dictionary(ArrowType.Int32, ArrowType.Utf8)),
    ]);

    private static readonly string[] Colours = ["red", "green", "blue"];

    private static string? S(int r) => r % 7 == 0 ? null : "s" + r.ToString(CultureInfo.InvariantCulture);

    /// <summary>A table of <see cref="Rows"/> rows in batches that do not line up with DuckDB's vectors of 2,048, counting its scans.</summary>
    private sealed class CountedTable : IDuckDbTable
    {
        public int Scans;

        public Schema Schema => TableSchema;

        public IEnumerable<RecordBatch> Read()
        {
            Interlocked.Increment(ref Scans);
            for (int first = 0; first < Rows; first += BatchRows)
            {
                var builder = new RecordBatchBuilder(TableSchema);
                for (int r = first; r < Math.Min(Rows, first + BatchRows); r++)
                {
                    builder.AppendRow((long)r, S(r), r % 5 == 0 ? null : new long[] { r, r + 1 }, Colours[r % Colours.Length]);
                }

                yield return builder.Build();
            }
        }
    }

    /// <summary>The same rows as parts any thread may open: counts the parts opened and the batches not yet let go.</summary>
    private sealed class PartedTable : IDuckDbTable
    {
        public int Opened;
        public int Held;

        public Schema Schema => TableSchema;

        public long? Rows => DuckDbTablesTests.Rows;

        public IEnumerable<RecordBatch> Read() => throw new InvalidOperationException("a table with parts is read by parts");

        public IReadOnlyList<Func<RecordBatch>>? Parts() =>
            [.. Enumerable.Range(0, (DuckDbTablesTests.Rows + BatchRows - 1) / BatchRows).Select(part => (Func<RecordBatch>)(() => Open(part)))];

        private RecordBatch Open(int part)
        {
            Interlocked.Increment(ref Opened);
            Interlocked.Increment(ref Held);
            var builder = new RecordBatchBuilder(TableSchema);
            for (int r = part * BatchRows; r < Math.Min(DuckDbTablesTests.Rows, (part + 1) * BatchRows); r++)
            {
                builder.AppendRow((long)r, S(r), r % 5 == 0 ? null : new long[] { r, r + 1 }, Colours[r % Colours.Length]);
            }

            var built = builder.Build();
            return new RecordBatch(built.Schema, built.Length, built.Columns, new Release(() => Interlocked.Decrement(ref Held)));
        }

        private sealed class Release(Action action) : IDisposable
        {
            public void Dispose() => action();
        }
    }

    private static DuckDbConnection? Open(IDuckDbTable table, out List<string> asked)
    {
        var db = DuckDbConnection.TryOpen();
        var names = new List<string>();
        asked = names;
        db?.RegisterTables(name =>
        {
            lock (names)
            {
                names.Add(name);
            }

            return name is "t" or "sensors@2" ? table : name == "broken" ? throw new InvalidOperationException("the registry is away") : null;
        });
        return db;
    }

    private static long Long(DuckDbConnection db, string sql)
    {
        using var answer = db.QueryArrow(sql);
        var batch = Assert.Single(answer.Batches);
        return BitConverter.ToInt64(batch.Columns[0].Buffers[1].Span.Slice((batch.Columns[0].Offset) * 8, 8));
    }

    [Fact]
    public void A_table_is_read_afresh_by_every_scan_so_self_joins_and_repeated_queries_see_every_row()
    {
        var table = new CountedTable();
        using var db = Open(table, out _);
        if (db is null)
        {
            return;
        }

        Assert.Equal(Rows, Long(db, "SELECT count(*) FROM t"));
        Assert.Equal((long)Rows * (Rows - 1) / 2, Long(db, "SELECT sum(x)::BIGINT FROM \"sensors@2\""));
        // Two scans of one table in one query, then the same query again: each sees every row.
        Assert.Equal(Rows, Long(db, "SELECT count(*) FROM t a JOIN t b ON a.x = b.x"));
        Assert.Equal(Rows, Long(db, "SELECT count(*) FROM t a JOIN \"sensors@2\" b ON a.x = b.x"));
        Assert.Equal(Rows, Long(db, "SELECT count(*) FROM t"));
        Assert.Equal(Enumerable.Range(0, Rows).Count(r => S(r) is null), Long(db, "SELECT count(*) FROM t WHERE s IS NULL"));
        Assert.Equal(Rows / 3 + 1, Long(db, "SELECT count(*) FROM t WHERE colour = 'red'"));
        Assert.Equal(Enumerable.Range(0, Rows).Where(r => r % 5 != 0).Sum(r => 2L * r + 1), Long(db, "SELECT sum(list_sum(l))::BIGINT FROM t"));
        Assert.True(table.Scans >= 7, $"{table.Scans} scans");
    }

    [Fact]
    public void A_table_of_parts_is_scanned_on_every_thread_each_part_once_and_every_batch_let_go()
    {
        var table = new PartedTable();
        using var db = Open(table, out _);
        if (db is null)
        {
            return;
        }

        int parts = (Rows + BatchRows - 1) / BatchRows;
        Assert.Equal(Rows, Long(db, "SELECT count(*) FROM t"));
        Assert.Equal(parts, table.Opened);
        Assert.Equal((long)Rows * (Rows - 1) / 2, Long(db, "SELECT sum(x)::BIGINT FROM t"));
        Assert.Equal(Rows, Long(db, "SELECT count(*) FROM t a JOIN \"sensors@2\" b ON a.x = b.x"));
        Assert.Equal(Enumerable.Range(0, Rows).Count(r => S(r) is null), Long(db, "SELECT count(*) FROM t WHERE s IS NULL"));
        Assert.Equal(Enumerable.Range(0, Rows).Where(r => r % 5 != 0).Sum(r => 2L * r + 1), Long(db, "SELECT sum(list_sum(l))::BIGINT FROM t"));
        Assert.Equal(Rows / 3 + 1, Long(db, "SELECT count(*) FROM t WHERE colour = 'red'"));
        // Only the columns read are handed over, in the order the query reads them.
        Assert.Equal((2 * 9_999L) + 1, Long(db, "SELECT max(x + list_sum(l) - x)::BIGINT FROM t WHERE l IS NOT NULL AND x = 9999"));
        // A scan stopped early lets go of the parts it opened.
        Assert.Equal(5, Long(db, "SELECT count(*) FROM (SELECT x FROM t LIMIT 5)"));
        Assert.Equal(0, table.Held);
    }

    [Fact]
    public void Rows_come_back_as_arrow_as_they_went_in_and_a_row_limit_cuts_the_answer()
    {
        var table = new CountedTable();
        using var db = Open(table, out _);
        if (db is null)
        {
            return;
        }

        using (var answer = db.QueryArrow("SELECT x, s FROM t ORDER BY x"))
        {
            Assert.False(answer.Truncated);
            Assert.Equal(Rows, answer.Rows);
            Assert.Equal(["x", "s"], answer.Schema.Fields.Select(f => f.Name));
            var expected = table.Read().ToList();
            var x = ArrayConcatenation.Concatenate([.. answer.Batches.Select(b => b.Columns[0])]);
            var s = ArrayConcatenation.Concatenate([.. answer.Batches.Select(b => b.Columns[1])]);
            Assert.True(ArrayEquality.Equals(ArrayConcatenation.Concatenate([.. expected.Select(b => b.Columns[0])]), x, out string? xDifference), xDifference);
            Assert.True(ArrayEquality.Equals(ArrayConcatenation.Concatenate([.. expected.Select(b => b.Columns[1])]), s, out string? sDifference), sDifference);
            expected.ForEach(b => b.Dispose());
        }

        using (var cut = db.QueryArrow("SELECT x FROM t ORDER BY x", maxRows: 2_500))
        {
            Assert.True(cut.Truncated);
            Assert.Equal(2_500, cut.Rows);
        }

        using var whole = db.QueryArrow("SELECT x FROM t", maxRows: Rows);
        Assert.False(whole.Truncated);
        Assert.Equal(Rows, whole.Rows);
    }

    [Fact]
    public void Names_nobody_knows_and_a_resolver_that_fails_are_errors_that_say_so()
    {
        using var db = Open(new CountedTable(), out var asked);
        if (db is null)
        {
            return;
        }

        var unknown = Assert.Throws<IOException>(() => db.QueryArrow("SELECT * FROM nowhere"));
        Assert.Contains("nowhere", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("nowhere", asked);
        var broken = Assert.Throws<IOException>(() => db.QueryArrow("SELECT * FROM broken"));
        Assert.Contains("the registry is away", broken.Message, StringComparison.Ordinal);
        Assert.Equal(Rows, Long(db, "SELECT count(*) FROM t"));
    }

    /// <summary>A table that opens a gate when a scan starts reading it.</summary>
    private sealed class GatedTable(IDuckDbTable inner) : IDuckDbTable, IDisposable
    {
        public readonly ManualResetEventSlim Scanned = new();

        public void Dispose() => Scanned.Dispose();

        public Schema Schema => inner.Schema;

        public IEnumerable<RecordBatch> Read()
        {
            Scanned.Set();
            return inner.Read();
        }
    }

    [Fact]
    public void A_cancelled_query_stops_wherever_it_is_and_the_connection_answers_the_next()
    {
        using var table = new GatedTable(new CountedTable());
        using var db = Open(table, out _);
        if (db is null)
        {
            return;
        }

        db.LockDown(threads: 1);
        using var stop = new CancellationTokenSource();
        // Ten thousand rows times a trillion: a query that ends only when it is stopped.
        var runaway = Task.Run(() => db.QueryArrow("SELECT count(*) FROM t, range(1000000000000)", long.MaxValue, stop.Token));
        table.Scanned.Wait();
        stop.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => runaway.GetAwaiter().GetResult());
        Assert.Equal(Rows, Long(db, "SELECT count(*) FROM t"));
        Assert.ThrowsAny<OperationCanceledException>(() => db.QueryArrow("SELECT 1", long.MaxValue, stop.Token));
    }

    [Fact]
    public void A_query_cancelled_while_duckdb_binds_it_stops_too()
    {
        using var stop = new CancellationTokenSource();
        var table = new CountedTable();
        using var db = DuckDbConnection.TryOpen();
        if (db is null)
        {
            return;
        }

        // The cancellation comes from inside the query's own start (DuckDB asks for the table while
        // it binds): the interrupt it sends must not be lost to the query beginning.
        db.RegisterTables(name =>
        {
            if (name == "t")
            {
                stop.Cancel();
                return table;
            }

            return null;
        });
        db.LockDown(threads: 1);
        Assert.ThrowsAny<OperationCanceledException>(() => db.QueryArrow("SELECT count(*) FROM t, range(1000000000000)", long.MaxValue, stop.Token));
        Assert.Equal(Rows, Long(db, "SELECT count(*) FROM t"));
    }

    [Fact]
    public void A_locked_down_database_reaches_its_tables_and_no_file_and_keeps_its_settings()
    {
        using var db = Open(new CountedTable(), out _);
        if (db is null)
        {
            return;
        }

        db.LockDown(memoryLimit: "256MB", threads: 1);
        Assert.Equal(Rows, Long(db, "SELECT count(*) FROM t"));
        foreach (string hostile in new[]
        {
            "SELECT * FROM read_csv('/etc/passwd')",
            "COPY (SELECT 1) TO '/tmp/arrowcid-duckdb-escape.csv'",
            "ATTACH '/tmp/arrowcid-duckdb-escape.db'",
            "INSTALL httpfs",
            "SET enable_external_access = true",
            "SET memory_limit = '64GB'",
            "RESET lock_configuration",
        })
        {
            Assert.Throws<IOException>(() => db.QueryArrow(hostile));
        }

        Assert.False(File.Exists("/tmp/arrowcid-duckdb-escape.csv"));
        Assert.False(File.Exists("/tmp/arrowcid-duckdb-escape.db"));
        Assert.Equal(Rows, Long(db, "SELECT count(*) FROM t"));
    }
}
