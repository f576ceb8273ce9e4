using System.Text.Json;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Types;
using ArrowCid.Node;
using ArrowCid.Repository;
using ArrowCid.Sql;
using ArrowCid.TestSupport;

namespace ArrowCid.Flight.Tests.Service;

/// <summary>
/// Runs interop/node/test/flight-sql.test.mjs: two independent Flight SQL clients (the Rust
/// arrow-flight client through napi, and one on grpc-js) log in with Basic credentials, list the
/// tables and run queries (filters, aggregates, a join across versions, a window function, an
/// empty answer). What each received re-encodes to the CID of the answer `arrowcid sql` gives over
/// the same versions: the same rows, types and order. Skipped, with the reason printed, when node
/// or the packages are not installed — a failure instead under CI=true.
/// </summary>
[Trait("Category", "Peers")]
public sealed class FlightSqlInteropTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly string[] Queries =
    [
        "SELECT * FROM sensors ORDER BY id",
        "SELECT site, count(*) AS n, avg(temp) AS mean, min(taken) AS first FROM sensors GROUP BY site ORDER BY site",
        "SELECT a.id, a.temp AS before, b.temp AS after FROM \"sensors@1\" a JOIN sensors b ON a.id = b.id WHERE a.temp IS DISTINCT FROM b.temp ORDER BY a.id",
        "SELECT id, site, row_number() OVER (PARTITION BY site ORDER BY id DESC) AS k FROM sensors ORDER BY id LIMIT 50",
        "SELECT * FROM sensors WHERE id < 0",
    ];

    [Fact]
    public async Task Rust_and_grpc_js_Flight_SQL_clients_get_the_answers_arrowcid_sql_gives()
    {
        if (NodeInteropRunner.Unavailable("@lakehouse-rs/flight-sql-client", "@lancedb/arrow-flight-sql-client", "apache-arrow") is { } why)
        {
            output.WriteLine(CiEnvironment.SkipOrFail(why));
            return;
        }

        await using var fixture = await FlightNodeFixture.StartAsync(new NodeOptions
        {
            Access = new AccessPolicy().AddUser("analyst", "secret", AccessRole.Read),
        });
        fixture.Content.PutStream(Sensors.Schema, [Sensors.Batch(0, 400, shift: 0)], new PutOptions { Name = "sensors" });
        fixture.Content.PutStream(Sensors.Schema, [Sensors.Batch(0, 500, shift: 1)], new PutOptions { Name = "sensors" });
        string received = Directory.CreateTempSubdirectory("arrowcid-flight-sql-").FullName;
        try
        {
            var result = await NodeInteropRunner.RunTestAsync(
                "test/flight-sql.test.mjs",
                NodeInteropRunner.FixturesDirectory("flight"),
                TimeSpan.FromMinutes(3),
                new Dictionary<string, string>
                {
                    ["ARROWCID_SQL_TEST_URL"] = fixture.Location,
                    ["ARROWCID_SQL_USER"] = "analyst:secret",
                    ["ARROWCID_SQL_QUERIES"] = JsonSerializer.Serialize(Queries),
                    ["ARROWCID_SQL_OUT"] = received,
                });
            output.WriteLine(result.Log);
            Assert.True(result.ExitCode == 0, $"node --test failed with exit code {result.ExitCode}:\n{result.Log}");
            Assert.Equal(2, result.Passed);

            using var engine = SqlEngine.Open(fixture.Content);
            for (int i = 0; i < Queries.Length; i++)
            {
                using var expected = engine.Query(Queries[i]);
                var answer = ContentRepository.ComputeCids(expected.Answer.Schema, expected.Answer.Batches);
                // The Rust client hands over an Arrow IPC file: it re-encodes to the answer's CID.
                using (var file = new ArrowFileReader(File.ReadAllBytes(Path.Combine(received, $"rust-{i}.arrows"))))
                {
                    var got = ContentRepository.ComputeCids(file.Schema, file.ReadAll());
                    Assert.True(answer.Table.Cid == got.Table.Cid, $"rust, query {i} ({Queries[i]}): {got.Table.Rows} rows as {got.Table.Cid}, arrowcid sql gives {answer.Table.Rows} as {answer.Table.Cid}");
                }

                // The grpc-js client hands over rows: each value equals the answer's.
                using var rows = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(received, $"grpcjs-{i}.json")));
                Assert.Equal(expected.Answer.Rows, rows.RootElement.GetArrayLength());
                int at = 0;
                foreach (var batch in expected.Answer.Batches)
                {
                    for (int row = 0; row < batch.Length; row++, at++)
                    {
                        var got = rows.RootElement[at];
                        for (int column = 0; column < batch.Schema.Fields.Length; column++)
                        {
                            string name = batch.Schema.Fields[column].Name;
                            object? value = Arrow.Printing.ArrayPrinter.GetValue(batch.Columns[column], row);
                            var actual = got.GetProperty(name);
                            string where = $"grpc-js, query {i}, row {at}, {name}";
                            switch (value)
                            {
                                case null:
                                    Assert.True(actual.ValueKind == JsonValueKind.Null, $"{where}: {actual}");
                                    break;
                                case long whole:
                                    Assert.Equal(whole.ToString(System.Globalization.CultureInfo.InvariantCulture), actual.ValueKind == JsonValueKind.String ? actual.GetString() : actual.GetRawText());
                                    break;
                                case double real:
                                    Assert.Equal(real, actual.GetDouble());
                                    break;
                                case string text:
                                    Assert.Equal(text, actual.GetString());
                                    break;
                                case DateTimeOffset time:
                                    // apache-arrow gives a timestamp as milliseconds since the epoch.
                                    Assert.Equal(time.ToUnixTimeMilliseconds(), (long)actual.GetDouble());
                                    break;
                                default:
                                    Assert.Fail($"{where}: a {value.GetType().Name} the test does not compare");
                                    break;
                            }
                        }
                    }
                }
            }
        }
        finally
        {
            Directory.Delete(received, recursive: true);
        }
    }

    /// <summary>A table of readings: an id, a site, a temperature with nulls, a timestamp.</summary>
    private static class Sensors
    {
        public static Schema Schema { get; } = new(
        [
            new Field("id", ArrowType.Int64, nullable: false),
            new Field("site", ArrowType.Utf8),
            new Field("temp", ArrowType.Float64),
            new Field("taken", ArrowType.Timestamp(TimeUnit.Microsecond, "UTC")),
        ]);

        public static Arrow.Arrays.RecordBatch Batch(int first, int rows, int shift)
        {
            string?[] sites = ["north", "south", "east", null];
            var builder = new RecordBatchBuilder(Schema);
            var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
            for (int i = first; i < first + rows; i++)
            {
                double? temp = i % 11 == 0 ? null : (i * 7 % 50) / 2.0 + (i % 13 == 0 ? shift : 0);
                builder.AppendRow((long)i, sites[i % 4], temp, start.AddMinutes(i));
            }

            return builder.Build();
        }
    }
}
