using System.Diagnostics.CodeAnalysis;
using System.Text;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Datasets;
using ArrowCid.Flight.Protocol;
using ArrowCid.Flight.Protocol.Sql;
using ArrowCid.Grpc;
using ArrowCid.Node;
using ArrowCid.Registry;
using ArrowCid.Repository;
using ArrowCid.Sql;
using ArrowCid.Wire;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace ArrowCid.Flight.Service.FlightSql;

/// <summary>
/// Arrow Flight SQL over the node's Flight service, beside the plain Flight verbs on the same port:
/// the commands come packed in a <c>google.protobuf.Any</c> (a descriptor's cmd, a ticket, an
/// action's body), which no plain request is. A statement (or a prepared statement, whose handle is
/// its text) runs on the node's SQL (<see cref="NodeSql"/>): its result is stored as a table and the
/// FlightInfo's one endpoint is a TicketStatementQuery holding the result's CID, which DoGet streams
/// like any table; app_metadata says the CID, whether a stored result answered and the versions
/// read. Metadata commands are answered from the registry: a ticket is the command itself.
/// CommandStatementIngest stores the uploaded rows as the next version of a name. See docs/sql.md.
/// </summary>
internal sealed class FlightSqlService(ContentNode node, NodeSql sql, FlightInfoFactory infos)
{
    private const string TypeUrlPrefix = "type.googleapis.com/arrow.flight.protocol.sql.";

    /// <summary>The action that prepares a statement.</summary>
    public const string CreatePreparedStatement = "CreatePreparedStatement";

    /// <summary>The action that lets a prepared statement go.</summary>
    public const string ClosePreparedStatement = "ClosePreparedStatement";

    /// <summary>The Flight SQL actions, as ListActions names them.</summary>
    public static IReadOnlyList<ActionType> ActionTypes { get; } =
    [
        new() { Type = CreatePreparedStatement, Description = "Flight SQL: prepare a query (its handle is its text; its dataset_schema that of its result). Body: an ActionCreatePreparedStatementRequest in an Any." },
        new() { Type = ClosePreparedStatement, Description = "Flight SQL: let a prepared statement go (nothing is held for one). Body: an ActionClosePreparedStatementRequest in an Any." },
    ];

    /// <summary>A Flight SQL command packed in <paramref name="bytes"/>, or null when they hold none (a plain Flight request).</summary>
    public static bool TryUnpack(ByteString bytes, [NotNullWhen(true)] out Any? command)
    {
        command = null;
        // An Any starts with its type URL, field 1 (tag 0x0A); no CID text or JSON command does.
        if (bytes.Length < 2 || bytes[0] != 0x0A)
        {
            return false;
        }

        try
        {
            var any = Any.Parser.ParseFrom(bytes);
            if (!any.TypeUrl.StartsWith(TypeUrlPrefix, StringComparison.Ordinal))
            {
                return false;
            }

            command = any;
            return true;
        }
        catch (InvalidProtocolBufferException)
        {
            return false;
        }
    }

    /// <summary>GetFlightInfo of a Flight SQL command.</summary>
    public async Task<FlightInfo> GetFlightInfoAsync(Any command, FlightDescriptor descriptor, ServerCallContext context)
    {
        if (command.Is(CommandStatementQuery.Descriptor))
        {
            var statement = Unpack<CommandStatementQuery>(command);
            RefuseTransaction(statement.HasTransactionId);
            return await StatementInfoAsync(statement.Query, descriptor, context).ConfigureAwait(false);
        }

        if (command.Is(CommandPreparedStatementQuery.Descriptor))
        {
            return await StatementInfoAsync(QueryOfHandle(Unpack<CommandPreparedStatementQuery>(command).PreparedStatementHandle), descriptor, context).ConfigureAwait(false);
        }

        var schema = MetadataSchemaOf(command);
        context.Subject = NameOf(command);
        var info = new FlightInfo
        {
            Schema = UnsafeByteOperations.UnsafeWrap(DatasetSchemaMessage.Encode(schema)),
            FlightDescriptor = descriptor,
            TotalRecords = -1,
            TotalBytes = -1,
        };
        // The ticket is the command: DoGet answers it from the registry as it is then.
        info.Endpoint.Add(new FlightEndpoint { Ticket = new Ticket { Ticket_ = command.ToByteString() } });
        return info;
    }

    /// <summary>GetSchema of a Flight SQL command: a statement's result schema (the statement runs, or its stored result answers), or a metadata answer's.</summary>
    public async Task<SchemaResult> GetSchemaAsync(Any command, FlightDescriptor descriptor, ServerCallContext context)
    {
        var info = await GetFlightInfoAsync(command, descriptor, context).ConfigureAwait(false);
        return new SchemaResult { Schema = info.Schema };
    }

    /// <summary>
    /// DoGet of a Flight SQL ticket: a statement's result is the table its handle names, returned
    /// for the caller to stream as any table; a metadata command is answered here (null returned).
    /// </summary>
    public async Task<FlightTicket?> DoGetAsync(Any ticket, IServerStreamWriter<FlightData> responses, ServerCallContext context)
    {
        if (ticket.Is(TicketStatementQuery.Descriptor))
        {
            string handle = FlightRequests.DecodeText(Unpack<TicketStatementQuery>(ticket).StatementHandle, "statement handle");
            return new FlightTicket(FlightRequests.ParseCid(handle, "statement handle"));
        }

        var schema = MetadataSchemaOf(ticket);
        context.Subject = NameOf(ticket);
        var cancellation = context.CancellationToken;
        await responses.WriteAsync(FlightBatchMessages.SchemaMessage(schema), cancellation).ConfigureAwait(false);
        // A batch at a time (a listing of millions of names holds one page): each written and let go.
        await foreach (var batch in MetadataAsync(ticket, schema, cancellation).ConfigureAwait(false))
        {
            using (batch)
            {
                // Bodies of their own: a server's write does not say when the transport has taken a message.
                foreach (var (data, _) in FlightBatchMessages.BatchMessages(batch, lendPooledBodies: false))
                {
                    await responses.WriteAsync(data, cancellation).ConfigureAwait(false);
                }
            }
        }

        return null;
    }

    /// <summary>The Flight SQL actions: prepare a statement (run, so its result's schema is known and stored for the execution that follows) and close one.</summary>
    public async Task RunActionAsync(Protocol.Action action, IServerStreamWriter<Result> responses, ServerCallContext context)
    {
        if (!TryUnpack(action.Body, out var body))
        {
            throw FlightErrors.Invalid($"{action.Type}: the body is not a Flight SQL message packed in an Any");
        }

        if (action.Type == CreatePreparedStatement)
        {
            var request = Unpack<ActionCreatePreparedStatementRequest>(body);
            RefuseTransaction(request.HasTransactionId);
            var info = await StatementInfoAsync(request.Query, new FlightDescriptor(), context).ConfigureAwait(false);
            var result = new ActionCreatePreparedStatementResult
            {
                PreparedStatementHandle = ByteString.CopyFromUtf8(request.Query),
                DatasetSchema = info.Schema,
            };
            await responses.WriteAsync(new Result { Body = Any.Pack(result).ToByteString() }, context.CancellationToken).ConfigureAwait(false);
            return;
        }

        // Closing holds nothing to let go: the handle is the statement's text.
        _ = QueryOfHandle(Unpack<ActionClosePreparedStatementRequest>(body).PreparedStatementHandle);
    }

    /// <summary>
    /// DoPut of a Flight SQL command (the caller may write): CommandStatementIngest stores the rows as the
    /// next version of a name; a prepared statement's parameters are accepted when there are none;
    /// updates are refused (SQL here reads).
    /// </summary>
    public async Task DoPutAsync(Any command, IAsyncStreamReader<FlightData> requests, IServerStreamWriter<PutResult> responses, ServerCallContext context)
    {
        if (command.Is(CommandStatementIngest.Descriptor))
        {
            var ingest = IngestOf(Unpack<CommandStatementIngest>(command));
            context.Subject = ingest.Options.Name;
            await FlightPutSession.RunAsync(requests, responses, context, node.Repository, node.Registrations, node.Options, ingest).ConfigureAwait(false);
            return;
        }

        if (command.Is(CommandPreparedStatementQuery.Descriptor))
        {
            var handle = Unpack<CommandPreparedStatementQuery>(command).PreparedStatementHandle;
            _ = QueryOfHandle(handle);
            await RefuseParametersAsync(requests, context.CancellationToken).ConfigureAwait(false);
            await responses.WriteAsync(new PutResult { AppMetadata = new DoPutPreparedStatementResult { PreparedStatementHandle = handle }.ToByteString() }, context.CancellationToken).ConfigureAwait(false);
            return;
        }

        throw command.Is(CommandStatementUpdate.Descriptor) || command.Is(CommandPreparedStatementUpdate.Descriptor)
            ? FlightErrors.Invalid("SQL here reads: a table changes by a new version, put with CommandStatementIngest (ADBC's bulk ingest) or a plain DoPut")
            : FlightErrors.Invalid($"{NameOf(command)} is not a Flight SQL command DoPut takes here");
    }

    private async Task<FlightInfo> StatementInfoAsync(string query, FlightDescriptor descriptor, ServerCallContext context)
    {
        context.Subject = "sql";
        var stored = await sql.StoreAsync(query, context.CancellationToken).ConfigureAwait(false);
        context.Subject = stored.Table.ToString();
        var record = node.RecordOf(stored.Table);
        var table = await infos.CreateAsync(record, null, context.CancellationToken).ConfigureAwait(false);
        var info = new FlightInfo
        {
            Schema = table.Schema,
            FlightDescriptor = descriptor,
            TotalRecords = table.TotalRecords,
            TotalBytes = table.TotalBytes,
            Ordered = true,
            AppMetadata = FlightBodies.Json(NodeSql.Describe(stored, record.Rows), WireJsonContext.Default.SqlAnswerMetadata),
        };
        // One endpoint at this server (no location): Flight SQL clients fetch a statement from where they asked.
        var ticket = new TicketStatementQuery { StatementHandle = ByteString.CopyFromUtf8(stored.Table.ToString()) };
        info.Endpoint.Add(new FlightEndpoint { Ticket = new Ticket { Ticket_ = Any.Pack(ticket).ToByteString() } });
        return info;
    }

    private FlightIngest IngestOf(CommandStatementIngest ingest)
    {
        RefuseTransaction(ingest.HasTransactionId);
        if (ingest.Temporary)
        {
            throw FlightErrors.Invalid("ingest: temporary tables are not kept here; every table is a version of a name");
        }

        if (!string.IsNullOrEmpty(ingest.Catalog) || !string.IsNullOrEmpty(ingest.Schema))
        {
            throw FlightErrors.Invalid("ingest: tables here are in no catalog and no schema; give the table name alone");
        }

        string name;
        try
        {
            name = DatasetName.Validate(ingest.Table);
        }
        catch (InvalidDatasetNameException e)
        {
            throw FlightErrors.Invalid($"ingest: {e.Message}");
        }

        var latest = node.Repository.Repository.Registry.FindVersion(name);
        var options = ingest.TableDefinitionOptions ?? new CommandStatementIngest.Types.TableDefinitionOptions();
        if (latest is null && options.IfNotExist == CommandStatementIngest.Types.TableDefinitionOptions.Types.TableNotExistOption.Fail)
        {
            throw new RpcException(StatusCode.NotFound, $"ingest: no table is named {name} (TABLE_NOT_EXIST_OPTION_FAIL)");
        }

        var exists = options.IfExists;
        if (latest is not null && exists is CommandStatementIngest.Types.TableDefinitionOptions.Types.TableExistsOption.Fail or CommandStatementIngest.Types.TableDefinitionOptions.Types.TableExistsOption.Unspecified)
        {
            throw new RpcException(StatusCode.AlreadyExists, $"ingest: {name} exists (version {latest.Version}); append to it or replace it with a new version");
        }

        var put = new PutOptions
        {
            Name = name,
            Producer = "flight sql ingest",
            MaxTableBytes = node.Options.Limits.MaxDecompressedBytesPerRequest,
        };
        bool append = latest is not null && exists == CommandStatementIngest.Types.TableDefinitionOptions.Types.TableExistsOption.Append;
        return new FlightIngest(put, append ? latest!.Cid : null);
    }

    private static async Task RefuseParametersAsync(IAsyncStreamReader<FlightData> requests, CancellationToken cancellation)
    {
        var decoder = new IpcMessageDecoder();
        while (await requests.MoveNext(cancellation).ConfigureAwait(false))
        {
            var data = requests.Current;
            if (!data.DataHeader.IsEmpty && decoder.Decode(data.DataHeader.Span, data.DataBody.Memory) is { } batch)
            {
                using (batch)
                {
                    if (batch.Length > 0)
                    {
                        throw FlightErrors.Invalid("prepared statements here take no parameters: write the values into the query");
                    }
                }
            }
        }
    }

    // The metadata command's answer, a batch at a time.
    private async IAsyncEnumerable<RecordBatch> MetadataAsync(Any command, Schema schema, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellation)
    {
        if (command.Is(CommandGetSqlInfo.Descriptor))
        {
            yield return FlightSqlCatalog.SqlInfoOf(Unpack<CommandGetSqlInfo>(command).Info, node.Options.Limits);
        }
        else if (command.Is(CommandGetXdbcTypeInfo.Descriptor))
        {
            var asked = Unpack<CommandGetXdbcTypeInfo>(command);
            yield return FlightSqlCatalog.XdbcTypeInfoOf(asked.HasDataType ? asked.DataType : null);
        }
        else if (command.Is(CommandGetTableTypes.Descriptor))
        {
            var builder = new RecordBatchBuilder(schema);
            builder.AppendRow(FlightSqlCatalog.TableType);
            yield return builder.Build();
        }
        else if (command.Is(CommandGetTables.Descriptor))
        {
            await foreach (var batch in TablesAsync(Unpack<CommandGetTables>(command), schema, cancellation).ConfigureAwait(false))
            {
                yield return batch;
            }
        }

        // Catalogs, schemas and keys: there are none.
    }

    private async IAsyncEnumerable<RecordBatch> TablesAsync(CommandGetTables asked, Schema schema, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellation)
    {
        // Tables are in no catalog: a catalog named (other than "", "none") selects none of them.
        if ((asked.HasCatalog && asked.Catalog.Length > 0)
            || !FlightSqlCatalog.Matches(asked.HasDbSchemaFilterPattern ? asked.DbSchemaFilterPattern : null, null)
            || (asked.TableTypes.Count > 0 && !asked.TableTypes.Contains(FlightSqlCatalog.TableType)))
        {
            yield break;
        }

        string? pattern = asked.HasTableNameFilterPattern ? asked.TableNameFilterPattern : null;
        var builder = new RecordBatchBuilder(schema);
        // In name order, a page at a time: millions of names cost one page of memory.
        foreach (var version in node.Registrations.Registry.WalkNames())
        {
            if (!FlightSqlCatalog.Matches(pattern, version.Name))
            {
                continue;
            }

            if (asked.IncludeSchema)
            {
                byte[] tableSchema;
                try
                {
                    tableSchema = await infos.SchemaOfAsync(node.RecordOf(version.Cid), cancellation).ConfigureAwait(false);
                }
                catch (Exception e) when (e is NodeException or Content.BlockNotFoundException or RpcException)
                {
                    // Named but not readable here (held by no reachable node): it cannot be queried either.
                    continue;
                }

                builder.AppendRow(null, null, version.Name, FlightSqlCatalog.TableType, tableSchema);
            }
            else
            {
                builder.AppendRow(null, null, version.Name, FlightSqlCatalog.TableType);
            }

            if (builder.Length == 1024)
            {
                yield return builder.Build();
            }
        }

        if (builder.Length > 0)
        {
            yield return builder.Build();
        }
    }

    private static Schema MetadataSchemaOf(Any command) => command switch
    {
        _ when command.Is(CommandGetSqlInfo.Descriptor) => FlightSqlCatalog.SqlInfo,
        _ when command.Is(CommandGetXdbcTypeInfo.Descriptor) => FlightSqlCatalog.XdbcTypeInfo,
        _ when command.Is(CommandGetCatalogs.Descriptor) => FlightSqlCatalog.Catalogs,
        _ when command.Is(CommandGetDbSchemas.Descriptor) => FlightSqlCatalog.DbSchemas,
        _ when command.Is(CommandGetTables.Descriptor) => Unpack<CommandGetTables>(command).IncludeSchema ? FlightSqlCatalog.TablesWithSchemas : FlightSqlCatalog.Tables,
        _ when command.Is(CommandGetTableTypes.Descriptor) => FlightSqlCatalog.TableTypes,
        _ when command.Is(CommandGetPrimaryKeys.Descriptor) => FlightSqlCatalog.PrimaryKeys,
        _ when command.Is(CommandGetExportedKeys.Descriptor) || command.Is(CommandGetImportedKeys.Descriptor) || command.Is(CommandGetCrossReference.Descriptor) => FlightSqlCatalog.ForeignKeys,
        _ when command.Is(CommandStatementIngest.Descriptor) || command.Is(CommandStatementUpdate.Descriptor) || command.Is(CommandPreparedStatementUpdate.Descriptor)
            => throw FlightErrors.Invalid($"{NameOf(command)} is a DoPut command, not one GetFlightInfo answers"),
        _ => throw FlightErrors.Invalid($"{NameOf(command)} is not a Flight SQL command this server answers (it speaks SQL text, not Substrait, and has no transactions)"),
    };

    private static string QueryOfHandle(ByteString handle)
    {
        if (handle.IsEmpty)
        {
            throw FlightErrors.Invalid("the prepared statement handle is empty");
        }

        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(handle.Span);
        }
        catch (DecoderFallbackException)
        {
            throw FlightErrors.Invalid("the prepared statement handle is not one this server made (its handles are the query's text)");
        }
    }

    private static void RefuseTransaction(bool given)
    {
        if (given)
        {
            throw FlightErrors.Invalid("transactions are not supported: every query reads exact versions, every put makes one");
        }
    }

    private static string NameOf(Any command) => command.TypeUrl[TypeUrlPrefix.Length..];

    private static T Unpack<T>(Any command)
        where T : IMessage<T>, new()
    {
        try
        {
            return command.Unpack<T>();
        }
        catch (InvalidProtocolBufferException e)
        {
            throw FlightErrors.Invalid($"{NameOf(command)} is malformed: {e.Message}");
        }
    }
}
