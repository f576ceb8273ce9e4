using System.Runtime.InteropServices;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.CData;
using ArrowCid.Arrow.Types;

namespace ArrowCid.DuckDb;

/// <summary>An in-memory DuckDB database with one connection: run SQL, hand it record batches through the C Stream Interface.</summary>
public sealed class DuckDbConnection : IDisposable
{
    private readonly DuckDbNative _api;
    private readonly List<nint> _streams = [];
    private nint _database;
    private nint _connection;
    private nint _conversions;
    private readonly object _interruptGate = new();
    private long _lastQuery;
    private long _runningQuery;

    /// <summary>Opens a database over the library at <paramref name="library"/> (see <see cref="FindLibrary"/>).</summary>
    /// <param name="library">The path of libduckdb.so.</param>
    /// <returns>The open database.</returns>
    /// <exception cref="IOException">DuckDB could not open an in-memory database.</exception>
    public static DuckDbConnection Open(string library) => new(DuckDbNative.Load(library));

    /// <summary>A database over the library <see cref="FindLibrary"/> finds, or null when there is none.</summary>
    /// <returns>The open database, or null.</returns>
    public static DuckDbConnection? TryOpen() => FindLibrary() is { } library ? Open(library) : null;

    /// <summary>
    /// libduckdb.so: ARROWCID_LIBDUCKDB when set, else the copy the DuckDB.NET.Data.Full package puts
    /// beside the program; null when there is none.
    /// </summary>
    /// <returns>The library's path, or null.</returns>
    public static string? FindLibrary() => DuckDbNative.Find();

    internal DuckDbConnection(DuckDbNative api)
    {
        ArgumentNullException.ThrowIfNull(api);
        _api = api;
        if (api.Open(0, out _database) != DuckDbNative.Success || api.Connect(_database, out _connection) != DuckDbNative.Success)
        {
            Dispose();
            throw new IOException("DuckDB: could not open an in-memory database");
        }
    }

    /// <summary>Runs <paramref name="sql"/>; the first value of the first row when it is an integer (else 0).</summary>
    /// <param name="sql">The statement.</param>
    /// <returns>The first value, or 0.</returns>
    /// <exception cref="IOException">DuckDB refused the statement (its message says why).</exception>
    public long Execute(string sql) => Query(sql, result => _api.ValueInt64(result, 0, 0));

    /// <summary>Runs <paramref name="sql"/>; its first row as <c>column=value</c> pairs joined by ", " (NULL for a null).</summary>
    /// <param name="sql">The query.</param>
    /// <returns>The first row as text.</returns>
    /// <exception cref="IOException">DuckDB refused the query (its message says why).</exception>
    public string QueryFirstRow(string sql) => Query(sql, result =>
    {
        int columns = (int)_api.ColumnCount(result);
        return string.Join(", ", Enumerable.Range(0, columns).Select(c =>
            $"{Marshal.PtrToStringUTF8(_api.ColumnName(result, (ulong)c))}={_api.Varchar(result, c, 0) ?? "NULL"}"));
    });

    private T Query<T>(string sql, Func<nint, T> read)
    {
        nint result = Marshal.AllocHGlobal(DuckDbNative.ResultSize);
        Marshal.Copy(new byte[DuckDbNative.ResultSize], 0, result, DuckDbNative.ResultSize);
        try
        {
            if (_api.Query(_connection, sql, result) != DuckDbNative.Success)
            {
                throw new IOException($"DuckDB: {Marshal.PtrToStringUTF8(_api.ResultError(result)) ?? "unknown error"} (in: {sql})");
            }

            return read(result);
        }
        finally
        {
            _api.DestroyResult(result);
            Marshal.FreeHGlobal(result);
        }
    }

    /// <summary>Registers <paramref name="batches"/> (not disposed) as the view <paramref name="name"/>, scanned through an exported <c>ArrowArrayStream</c>.</summary>
    /// <param name="name">The view's name.</param>
    /// <param name="schema">The batches' schema.</param>
    /// <param name="batches">The batches, read as DuckDB scans.</param>
    /// <exception cref="IOException">DuckDB refused the stream.</exception>
    public void RegisterArrowStream(string name, Schema schema, IEnumerable<RecordBatch> batches)
    {
        int size = Marshal.SizeOf<CArrowArrayStream>();
        nint stream = Marshal.AllocHGlobal(size);
        Marshal.Copy(new byte[size], 0, stream, size);
        // DuckDB keeps the stream structure as long as the connection: freed on Dispose.
        _streams.Add(stream);
        CArrowArrayStreamExporter.Export(schema, batches, stream);
        if (_api.ArrowScan(_connection, name, stream) != DuckDbNative.Success)
        {
            throw new IOException("DuckDB refused the Arrow stream");
        }
    }

    /// <summary>
    /// Lets queries read tables by name: a table name DuckDB does not know (<c>FROM "sensors@2"</c>,
    /// <c>FROM t</c>) is looked up with <paramref name="resolve"/>, and a table it returns is read
    /// afresh by every scan of it (<see cref="DuckDbTableFunction"/>). Once per connection.
    /// </summary>
    /// <param name="resolve">The table a name stands for, or null for a name it does not know; called on DuckDB's threads.</param>
    /// <exception cref="IOException">DuckDB refused the registration.</exception>
    public void RegisterTables(Func<string, IDuckDbTable?> resolve)
    {
        ArgumentNullException.ThrowIfNull(resolve);
        if (_conversions != 0)
        {
            throw new InvalidOperationException("tables are already registered on this connection");
        }

        if (_api.Connect(_database, out _conversions) != DuckDbNative.Success)
        {
            throw new IOException("DuckDB: could not open a second connection");
        }

        DuckDbTableFunction.Register(_api, _database, _connection, _conversions, resolve);
    }

    /// <summary>
    /// Closes the database to everything but its own tables and the ones registered: no file or
    /// network access (<c>read_csv</c>, <c>COPY … TO</c>, <c>ATTACH</c>, <c>INSTALL</c>/<c>LOAD</c>), and
    /// the configuration locked, so no statement can change a setting back or past its limits.
    /// </summary>
    /// <param name="memoryLimit">DuckDB's memory limit, e.g. <c>1GB</c>, or null for its default.</param>
    /// <param name="threads">DuckDB's worker threads, or null for its default (one per core).</param>
    /// <exception cref="IOException">DuckDB refused a setting.</exception>
    public void LockDown(string? memoryLimit = null, int? threads = null)
    {
        if (memoryLimit is not null)
        {
            Execute($"SET memory_limit = '{memoryLimit.Replace("'", "''", StringComparison.Ordinal)}'");
        }

        if (threads is { } count)
        {
            Execute(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"SET threads = {count}"));
        }

        Execute("SET enable_external_access = false");
        Execute("SET lock_configuration = true");
    }

    /// <summary>
    /// Runs <paramref name="sql"/> and reads its whole answer as Arrow: its schema and its batches
    /// (the caller disposes them). Cancelling <paramref name="cancellation"/> makes DuckDB interrupt
    /// the query wherever it is (a scan, a join, a recursive CTE).
    /// </summary>
    /// <param name="sql">The query.</param>
    /// <param name="maxRows">Rows read at most; the answer stops there (<see cref="DuckDbAnswer.Truncated"/>).</param>
    /// <param name="cancellation">Stops the query (a deadline, a client gone).</param>
    /// <returns>The answer.</returns>
    /// <exception cref="OperationCanceledException">The query was stopped by <paramref name="cancellation"/>.</exception>
    /// <exception cref="IOException">DuckDB refused or failed the query (its message says why).</exception>
    public DuckDbAnswer QueryArrow(string sql, long maxRows = long.MaxValue, CancellationToken cancellation = default)
    {
        cancellation.ThrowIfCancellationRequested();
        long query;
        lock (_interruptGate)
        {
            query = ++_lastQuery;
            _runningQuery = query;
        }

        // DuckDB clears a connection's interrupt when a query begins, so one sent in the instant
        // before would be lost: once cancelled, the query is interrupted again every 50 ms until it
        // returns, and never after (the next query on the connection is another one).
        ITimer? again = null;
        var stop = cancellation.Register(() => again = TimeProvider.System.CreateTimer(_ => InterruptQuery(query), null, TimeSpan.Zero, TimeSpan.FromMilliseconds(50)));
        try
        {
            return ReadArrow(sql, maxRows);
        }
        catch (IOException) when (cancellation.IsCancellationRequested)
        {
            throw new OperationCanceledException("the query was stopped", cancellation);
        }
        finally
        {
            lock (_interruptGate)
            {
                _runningQuery = 0;
            }

            // Waits for a registration callback in flight, so the timer it makes is the one disposed.
            stop.Dispose();
            again?.Dispose();
        }
    }

    private void InterruptQuery(long query)
    {
        lock (_interruptGate)
        {
            if (_runningQuery == query)
            {
                Interrupt();
            }
        }
    }

    /// <summary>Stops the query running on this connection, if any (DuckDB's <c>duckdb_interrupt</c>); safe from any thread.</summary>
    public void Interrupt()
    {
        nint connection = Volatile.Read(ref _connection);
        if (connection != 0)
        {
            _api.Interrupt(connection);
        }
    }

    private DuckDbAnswer ReadArrow(string sql, long maxRows) => Query(sql, result =>
    {
        nint options = _api.ResultGetArrowOptions(result);
        try
        {
            var schema = ResultSchema(result, options);
            var batches = new List<RecordBatch>();
            long rows = 0;
            bool truncated = false;
            try
            {
                var value = Marshal.PtrToStructure<DuckDbResult>(result);
                while (true)
                {
                    nint chunk = _api.FetchChunk(value);
                    if (chunk == 0)
                    {
                        break;
                    }

                    if (rows >= maxRows)
                    {
                        _api.DestroyDataChunk(ref chunk);
                        truncated = true;
                        break;
                    }

                    var batch = ChunkBatch(chunk, options, schema);
                    rows += batch.Length;
                    if (rows > maxRows)
                    {
                        batch = FirstRows(batch, batch.Length - (int)(rows - maxRows));
                        truncated = true;
                    }

                    batches.Add(batch);
                }
            }
            catch
            {
                batches.ForEach(b => b.Dispose());
                throw;
            }

            return new DuckDbAnswer(schema, batches, truncated);
        }
        finally
        {
            _api.DestroyArrowOptions(ref options);
        }
    });

    private static RecordBatch FirstRows(RecordBatch batch, int rows)
    {
        // An imported batch's memory has a shared owner: the first rows take their own reference on it.
        var kept = new RecordBatch(batch.Schema, rows, batch.Columns.Select(c => c.Slice(0, rows)), batch.Owner!);
        batch.Dispose();
        return kept;
    }

    // One chunk of a result as a record batch (DuckDB's Arrow export, imported without a copy).
    private RecordBatch ChunkBatch(nint chunk, nint options, Schema schema)
    {
        nint array = CArrowArray.AllocateAddress();
        try
        {
            _api.ThrowOnError(_api.DataChunkToArrow(options, chunk, array), "DuckDB");
            return CArrowArrayImporter.ImportRecordBatch(array, schema);
        }
        finally
        {
            _api.DestroyDataChunk(ref chunk);
            CArrowArray.Free(array);
        }
    }

    // The result's columns as an Arrow schema, as DuckDB exports them.
    private Schema ResultSchema(nint result, nint options)
    {
        int count = (int)_api.ColumnCount(result);
        var types = new nint[count];
        var names = new nint[count];
        for (int c = 0; c < count; c++)
        {
            types[c] = _api.ColumnLogicalType(result, (ulong)c);
            names[c] = _api.ColumnName(result, (ulong)c);
        }

        var pinnedTypes = GCHandle.Alloc(types, GCHandleType.Pinned);
        var pinnedNames = GCHandle.Alloc(names, GCHandleType.Pinned);
        nint schema = CArrowSchema.AllocateAddress();
        try
        {
            _api.ThrowOnError(_api.ToArrowSchema(options, pinnedTypes.AddrOfPinnedObject(), pinnedNames.AddrOfPinnedObject(), (ulong)count, schema), "DuckDB");
            return CArrowSchemaImporter.ImportSchema(schema);
        }
        finally
        {
            CArrowSchema.Free(schema);
            pinnedTypes.Free();
            pinnedNames.Free();
            for (int c = 0; c < count; c++)
            {
                _api.DestroyLogicalType(ref types[c]);
            }
        }
    }

    /// <summary>Closes the connection and the database, and frees the streams handed to it.</summary>
    public void Dispose()
    {
        if (_conversions != 0)
        {
            _api.Disconnect(ref _conversions);
        }

        if (_connection != 0)
        {
            _api.Disconnect(ref _connection);
        }

        if (_database != 0)
        {
            _api.Close(ref _database);
        }

        foreach (nint stream in _streams)
        {
            Marshal.FreeHGlobal(stream);
        }

        _streams.Clear();
    }
}

/// <summary>A query's answer read whole: its schema, its batches (the holder disposes them) and whether a row limit cut it short.</summary>
/// <param name="Schema">The columns DuckDB answered with.</param>
/// <param name="Batches">The rows.</param>
/// <param name="Truncated">Whether rows past the limit were left unread.</param>
public sealed record DuckDbAnswer(Schema Schema, IReadOnlyList<RecordBatch> Batches, bool Truncated) : IDisposable
{
    /// <summary>Rows read.</summary>
    public long Rows => Batches.Sum(b => (long)b.Length);

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var batch in Batches)
        {
            batch.Dispose();
        }
    }
}
