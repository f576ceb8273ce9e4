using System.Text.Json;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Printing;
using ArrowCid.Arrow.Types;
using ArrowCid.Flight.Protocol;
using ArrowCid.Flight.Protocol.Sql;
using ArrowCid.Grpc;
using ArrowCid.Node;
using ArrowCid.Repository;
using Google.Protobuf;
using Any = Google.Protobuf.WellKnownTypes.Any;
using Field = ArrowCid.Arrow.Types.Field;

namespace ArrowCid.Flight.Tests.Service;

/// <summary>
/// Flight SQL on the node's Flight port, through the raw service client: statements answered with
/// their stored result, metadata, prepared statements, bulk ingest, tokens, and hostile queries
/// each refused with its status while the node goes on serving.
/// </summary>
public sealed class FlightSqlTests
{
    private static readonly Schema Sensors = new(
    [
        new Field("id", ArrowType.Int64, nullable: false),
        new Field("site", ArrowType.Utf8),
        new Field("temp", ArrowType.Float64),
    ]);

    [Fact]
    public async Task A_statement_is_answered_by_its_stored_result_and_again_without_running()
    {
        await using var fixture = await StartAsync();
        var put = PutSensors(fixture.Content, 100);
        using var channel = Channel(fixture);
        var client = new FlightServiceClient(channel);
        const string Sql = "SELECT site, count(*) AS n FROM sensors GROUP BY site ORDER BY site";

        var info = await client.GetFlightInfoAsync(Command(new CommandStatementQuery { Query = Sql }), Writer);
        var endpoint = Assert.Single(info.Endpoint);
        Assert.Empty(endpoint.Location);
        Assert.True(Any.Parser.ParseFrom(endpoint.Ticket.Ticket_).Is(TicketStatementQuery.Descriptor));
        using var meta = JsonDocument.Parse(info.AppMetadata.ToStringUtf8());
        Assert.False(meta.RootElement.GetProperty("reused").GetBoolean());
        var input = Assert.Single(meta.RootElement.GetProperty("inputs").EnumerateArray().ToList());
        Assert.Equal(("sensors", 1L, put.Table.Cid.ToString()), (input.GetProperty("name").GetString(), input.GetProperty("version").GetInt64(), input.GetProperty("cid").GetString()));
        Assert.Equal(3, info.TotalRecords);

        var rows = await ReadAsync(client, endpoint.Ticket);
        Assert.Equal(["east 33", "north 34", "south 33"], rows);

        // Asked again over the same version: the same result, not run again.
        var again = await client.GetFlightInfoAsync(Command(new CommandStatementQuery { Query = Sql }), Writer);
        using var againMeta = JsonDocument.Parse(again.AppMetadata.ToStringUtf8());
        Assert.True(againMeta.RootElement.GetProperty("reused").GetBoolean());
        Assert.Equal(meta.RootElement.GetProperty("cid").GetString(), againMeta.RootElement.GetProperty("cid").GetString());

        // A prepared statement is its text: prepared, executed, closed.
        using var prepare = client.DoAction(new Protocol.Action { Type = "CreatePreparedStatement", Body = Any.Pack(new ActionCreatePreparedStatementRequest { Query = Sql }).ToByteString() }, Writer);
        var prepared = Any.Parser.ParseFrom(Assert.Single(await prepare.ResponseStream.ReadAllAsync().ToListAsync()).Body).Unpack<ActionCreatePreparedStatementResult>();
        Assert.Equal(info.Schema, prepared.DatasetSchema);
        var executed = await client.GetFlightInfoAsync(Command(new CommandPreparedStatementQuery { PreparedStatementHandle = prepared.PreparedStatementHandle }), Writer);
        Assert.Equal(["east 33", "north 34", "south 33"], await ReadAsync(client, executed.Endpoint[0].Ticket));
        using var close = client.DoAction(new Protocol.Action { Type = "ClosePreparedStatement", Body = Any.Pack(new ActionClosePreparedStatementRequest { PreparedStatementHandle = prepared.PreparedStatementHandle }).ToByteString() }, Writer);
        Assert.Empty(await close.ResponseStream.ReadAllAsync().ToListAsync());

        // Parameters are refused (the values go into the query's text).
        var parameters = new RecordBatchBuilder(new Schema([new Field("p", ArrowType.Int64)]));
        parameters.AppendRow(1L);
        var refused = await Assert.ThrowsAsync<RpcException>(() => PutAsync(client, Command(new CommandPreparedStatementQuery { PreparedStatementHandle = prepared.PreparedStatementHandle }), parameters.Build()));
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
    }

    [Fact]
    public async Task Metadata_answers_have_the_protocols_schemas()
    {
        await using var fixture = await StartAsync();
        PutSensors(fixture.Content, 10);
        using var channel = Channel(fixture);
        var client = new FlightServiceClient(channel);

        // SqlInfo: the codes asked for, in the order asked, each in its member of the dense union.
        var infoBatch = Assert.Single(await ReadBatchesAsync(client, Command(new CommandGetSqlInfo { Info = { 504, 0, 4, 100, 9999 } })));
        Assert.Equal(ArrowTypeId.DenseUnion, infoBatch.Schema.Fields[1].Type.Id);
        Assert.Equal(["504", "0", "4", "100"], Column(infoBatch, 0));
        Assert.Equal([0, 0, 1, 3], Enumerable.Range(0, 4).Select(i => (int)(sbyte)infoBatch.Columns[1].Buffers[0].Span[i]));
        var values = Column(infoBatch, 1);
        Assert.Equal("\"", values[0]);
        Assert.Equal("ArrowCid", values[1]);
        Assert.Equal("true", values[2]);
        Assert.Equal("300", values[3]);

        var all = Assert.Single(await ReadBatchesAsync(client, Command(new CommandGetSqlInfo())));
        Assert.Contains("517", Column(all, 0));

        var tables = Assert.Single(await ReadBatchesAsync(client, Command(new CommandGetTables { IncludeSchema = true, TableNameFilterPattern = "sen%" })));
        Assert.Equal(["catalog_name", "db_schema_name", "table_name", "table_type", "table_schema"], tables.Schema.Fields.Select(f => f.Name));
        Assert.Equal(["sensors"], Column(tables, 2));
        var schemaDecoder = new IpcMessageDecoder();
        Assert.Null(schemaDecoder.Decode(((byte[])ArrayPrinter.GetValue(tables.Columns[4], 0)!).AsSpan(8), ReadOnlyMemory<byte>.Empty));
        var tableSchema = schemaDecoder.Schema!;
        Assert.Equal(Sensors.Fields.Select(f => f.Name), tableSchema.Fields.Select(f => f.Name));
        Assert.Empty(await ReadBatchesAsync(client, Command(new CommandGetTables { TableNameFilterPattern = "other%" })));
        Assert.Empty(await ReadBatchesAsync(client, Command(new CommandGetTables { TableTypes = { "VIEW" } })));

        Assert.Equal(["TABLE"], Column(Assert.Single(await ReadBatchesAsync(client, Command(new CommandGetTableTypes()))), 0));
        Assert.Empty(await ReadBatchesAsync(client, Command(new CommandGetCatalogs())));
        Assert.Empty(await ReadBatchesAsync(client, Command(new CommandGetPrimaryKeys { Table = "sensors" })));
        var types = Assert.Single(await ReadBatchesAsync(client, Command(new CommandGetXdbcTypeInfo { DataType = (int)XdbcDataType.XdbcVarchar })));
        Assert.Equal(["VARCHAR"], Column(types, 0));
        Assert.Equal(19, types.Schema.Fields.Length);
    }

    [Fact]
    public async Task Bulk_ingest_creates_appends_and_replaces_versions_and_needs_write()
    {
        await using var fixture = await StartAsync();
        using var channel = Channel(fixture);
        var client = new FlightServiceClient(channel);
        var writer = new Metadata { { "authorization", "Bearer writer" } };
        var reader = new Metadata { { "authorization", "Bearer reader" } };
        CommandStatementIngest Ingest(CommandStatementIngest.Types.TableDefinitionOptions.Types.TableExistsOption exists) => new()
        {
            Table = "uploads",
            TableDefinitionOptions = new() { IfNotExist = CommandStatementIngest.Types.TableDefinitionOptions.Types.TableNotExistOption.Create, IfExists = exists },
        };

        var fail = CommandStatementIngest.Types.TableDefinitionOptions.Types.TableExistsOption.Fail;
        var denied = await Assert.ThrowsAsync<RpcException>(() => PutAsync(client, Command(Ingest(fail)), SensorBatch(0, 5), reader));
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);

        var created = await PutAsync(client, Command(Ingest(fail)), SensorBatch(0, 5), writer);
        Assert.Equal(5, DoPutUpdateResult.Parser.ParseFrom(created.AppMetadata).RecordCount);
        var exists = await Assert.ThrowsAsync<RpcException>(() => PutAsync(client, Command(Ingest(fail)), SensorBatch(5, 3), writer));
        Assert.Equal(StatusCode.AlreadyExists, exists.StatusCode);

        await PutAsync(client, Command(Ingest(CommandStatementIngest.Types.TableDefinitionOptions.Types.TableExistsOption.Append)), SensorBatch(5, 3), writer);
        var registry = fixture.Content.Repository.Registry;
        Assert.Equal((2L, 8L), (registry.FindVersion("uploads")!.Version, fixture.Content.Repository.GetRecord(registry.FindVersion("uploads")!.Cid)!.Rows));

        await PutAsync(client, Command(Ingest(CommandStatementIngest.Types.TableDefinitionOptions.Types.TableExistsOption.Replace)), SensorBatch(0, 2), writer);
        Assert.Equal((3L, 2L), (registry.FindVersion("uploads")!.Version, fixture.Content.Repository.GetRecord(registry.FindVersion("uploads")!.Cid)!.Rows));

        // The reader queries what was ingested.
        var info = await client.GetFlightInfoAsync(Command(new CommandStatementQuery { Query = "SELECT count(*) AS n FROM \"uploads@2\"" }), new CallOptions(reader));
        Assert.Equal(["8"], await ReadAsync(client, info.Endpoint[0].Ticket, reader));
    }

    [Fact]
    public async Task Hostile_queries_end_with_typed_statuses_and_the_node_goes_on()
    {
        await using var fixture = await StartAsync(NodeLimits.Default with { SqlMaxRows = 1_000, SqlMemoryBytes = 64L << 20, SqlTimeout = TimeSpan.FromSeconds(2) });
        PutSensors(fixture.Content, 10);
        using var channel = Channel(fixture);
        var client = new FlightServiceClient(channel);
        (string Sql, StatusCode Status)[] hostile =
        [
            ("SELECT * FROM read_csv('/etc/passwd')", StatusCode.PermissionDenied),
            ("COPY (SELECT 1) TO '/tmp/arrowcid-sql-copy.csv'", StatusCode.PermissionDenied),
            ("ATTACH '/tmp/arrowcid-sql-attach.db' AS other", StatusCode.PermissionDenied),
            ("INSTALL httpfs", StatusCode.PermissionDenied),
            ("LOAD httpfs", StatusCode.PermissionDenied),
            ("SET memory_limit = '100GB'", StatusCode.PermissionDenied),
            ("SELECT * FROM no_such_table", StatusCode.NotFound),
            ("SELEC 1", StatusCode.InvalidArgument),
            ("SELECT * FROM range(5000)", StatusCode.ResourceExhausted),
            ("SELECT count(*) FROM range(100000) a, range(100000) b, range(100000) c", StatusCode.ResourceExhausted),
            ("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT max(n) FROM r", StatusCode.ResourceExhausted),
        ];
        foreach (var (sql, status) in hostile)
        {
            var error = await Assert.ThrowsAsync<RpcException>(() => client.GetFlightInfoAsync(Command(new CommandStatementQuery { Query = sql }), Writer));
            Assert.True(status == error.StatusCode, $"{sql}: {error.StatusCode} {error.Status.Detail}");
        }

        Assert.False(File.Exists("/tmp/arrowcid-sql-copy.csv"));
        var info = await client.GetFlightInfoAsync(Command(new CommandStatementQuery { Query = "SELECT count(*) FROM sensors" }), Writer);
        Assert.Equal(["10"], await ReadAsync(client, info.Endpoint[0].Ticket));
    }

    private static async Task<FlightNodeFixture> StartAsync(NodeLimits? limits = null) => await FlightNodeFixture.StartAsync(new NodeOptions
    {
        Access = new AccessPolicy().AddToken("writer", AccessRole.Write).AddToken("reader", AccessRole.Read),
        Limits = limits ?? NodeLimits.Default,
    });

    private static GrpcChannel Channel(FlightNodeFixture fixture) => new(FlightLocations.ToHttpAddress(fixture.Location), new GrpcChannelOptions());

    private static CallOptions Writer => new(new Metadata { { "authorization", "Bearer writer" } });

    private static FlightDescriptor Command(IMessage command) =>
        new() { Type = FlightDescriptor.Types.DescriptorType.Cmd, Cmd = Any.Pack(command).ToByteString() };

    private static PutStreamResult PutSensors(ContentRepository content, int rows) =>
        content.PutStream(Sensors, [SensorBatch(0, rows)], new PutOptions { Name = "sensors" });

    private static RecordBatch SensorBatch(int first, int rows)
    {
        string[] sites = ["north", "south", "east"];
        var builder = new RecordBatchBuilder(Sensors);
        for (int i = first; i < first + rows; i++)
        {
            builder.AppendRow((long)i, sites[i % 3], i % 7 == 0 ? null : i * 0.5);
        }

        return builder.Build();
    }

    private static async Task<List<RecordBatch>> ReadBatchesAsync(FlightServiceClient client, FlightDescriptor descriptor)
    {
        var info = await client.GetFlightInfoAsync(descriptor, Writer);
        return await ReadBatchesAsync(client, Assert.Single(info.Endpoint).Ticket, Writer.Headers!);
    }

    private static async Task<List<RecordBatch>> ReadBatchesAsync(FlightServiceClient client, Ticket ticket, Metadata headers)
    {
        using var call = client.DoGet(ticket, new CallOptions(headers));
        var decoder = new IpcMessageDecoder();
        var batches = new List<RecordBatch>();
        await foreach (var data in call.ResponseStream.ReadAllAsync())
        {
            if (decoder.Decode(data.DataHeader.Span, data.DataBody.ToByteArray()) is { } batch)
            {
                batches.Add(batch);
            }
        }

        return batches;
    }

    private static async Task<List<string>> ReadAsync(FlightServiceClient client, Ticket ticket, Metadata? headers = null)
    {
        var rows = new List<string>();
        foreach (var batch in await ReadBatchesAsync(client, ticket, headers ?? Writer.Headers!))
        {
            for (int row = 0; row < batch.Length; row++)
            {
                rows.Add(string.Join(' ', batch.Columns.Select(c => ArrayPrinter.GetValue(c, row))));
            }
        }

        return rows;
    }

    private static List<string> Column(RecordBatch batch, int column) =>
        [.. Enumerable.Range(0, batch.Length).Select(row => ValueText(ArrayPrinter.GetValue(batch.Columns[column], row)))];

    private static string ValueText(object? value) => value switch
    {
        null => "null",
        bool b => b ? "true" : "false",
        System.Runtime.CompilerServices.ITuple { Length: 2 } tuple => ValueText(tuple[1]),
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!,
    };

    private static async Task<PutResult> PutAsync(FlightServiceClient client, FlightDescriptor descriptor, RecordBatch batch, Metadata? headers = null)
    {
        using var call = client.DoPut(new CallOptions(headers ?? Writer.Headers));
        var schema = new FlightData { FlightDescriptor = descriptor, DataHeader = UnsafeByteOperations.UnsafeWrap(MessageEncoder.EncodeSchema(batch.Schema, IpcWriteOptions.Default).Metadata) };
        await call.RequestStream.WriteAsync(schema);
        foreach (var message in MessageEncoder.EncodeBatchWithDictionaries(batch, IpcWriteOptions.Default))
        {
            await call.RequestStream.WriteAsync(new FlightData { DataHeader = UnsafeByteOperations.UnsafeWrap(message.Metadata), DataBody = UnsafeByteOperations.UnsafeWrap(message.BodyToArray()) });
        }

        await call.RequestStream.CompleteAsync();
        var results = await call.ResponseStream.ReadAllAsync().ToListAsync();
        return results[^1];
    }
}
