using System.Runtime.InteropServices;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.CData;
using ArrowCid.Arrow.Types;

namespace ArrowCid.DuckDb;

/// <summary>A table DuckDB may read by name: its schema, and its batches read afresh for every scan.</summary>
public interface IDuckDbTable
{
    /// <summary>The table's schema.</summary>
    Schema Schema { get; }

    /// <summary>The table's batches from its first row, once for each scan of the table in a query (a self-join scans it twice).</summary>
    /// <returns>The batches, each disposed by the reader once handed over.</returns>
    IEnumerable<RecordBatch> Read();

    /// <summary>The table's rows when known: DuckDB's planner sizes joins by it (the smaller side builds the hash table).</summary>
    long? Rows => null;

    /// <summary>
    /// The table's batches as parts, in row order, each opened by one call from any thread: a scan
    /// then runs on all of DuckDB's threads, each opening (and re-hashing) the next part. Null when
    /// the batches can only be read in sequence (<see cref="Read"/>).
    /// </summary>
    /// <returns>The parts, or null.</returns>
    IReadOnlyList<Func<RecordBatch>>? Parts() => null;
}

/// <summary>
/// The table function <c>arrowcid_table(name)</c> and the replacement scan that makes a table name
/// DuckDB does not know call it: <c>FROM "sensors@2"</c> reads the table a resolver gives for that
/// name. Unlike a registered Arrow stream (<c>duckdb_arrow_scan</c>), which can be read once and
/// then reads as empty (a self-join over it counted 0 rows), every scan starts the table's batches
/// anew. Each batch is handed over through the Arrow C Data Interface in slices of DuckDB's vector
/// size (<c>duckdb_data_chunk_from_arrow</c>, DuckDB's own conversion, referencing the batch's buffers
/// where the types allow), and the batch's memory is held until DuckDB lets it go.
/// </summary>
/// <remarks>
/// DuckDB calls back from its own threads: every callback catches what it throws and reports it as
/// the function's error, never letting an exception cross into native code. A table with parts
/// (<see cref="IDuckDbTable.Parts"/>) is scanned on every thread DuckDB gives it: each thread's local
/// state claims the next part (one atomic increment), opens it and converts it on a connection of
/// its own, so threads share nothing else; rows then come in no fixed order, as DuckDB's own scans
/// of a table may (a query that needs an order says ORDER BY). A table without parts is read in
/// sequence on one thread (<c>duckdb_init_set_max_threads</c> 1).
/// </remarks>
internal sealed class DuckDbTableFunction
{
    /// <summary>The table function's name.</summary>
    public const string Name = "arrowcid_table";

    // The callbacks DuckDB holds: kept alive for the process (DuckDB may call them until it closes).
    private static readonly DuckDbNative.ReplacementFn ReplacementCallback = Replace;
    private static readonly DuckDbNative.InfoFn BindCallback = Bind;
    private static readonly DuckDbNative.InfoFn InitCallback = Init;
    private static readonly DuckDbNative.InfoFn LocalInitCallback = LocalInit;
    private static readonly DuckDbNative.ChunkFn ScanCallback = Scan;
    private static readonly DuckDbNative.FreeFn FreeHandleCallback = FreeHandle;

    private readonly DuckDbNative _api;
    private readonly nint _database;
    private readonly nint _conversions;
    private readonly Func<string, IDuckDbTable?> _resolve;
    private readonly int _vectorSize;

    private DuckDbTableFunction(DuckDbNative api, nint database, nint conversions, Func<string, IDuckDbTable?> resolve)
    {
        _api = api;
        _database = database;
        _conversions = conversions;
        _resolve = resolve;
        _vectorSize = checked((int)api.VectorSize());
    }

    /// <summary>
    /// Registers the table function on <paramref name="connection"/> and the replacement scan on
    /// <paramref name="database"/>. <paramref name="conversions"/> is a connection of the same
    /// database kept for converting batches (a scan's own connection is busy running its query).
    /// DuckDB owns what is registered from here on and frees it when the database closes.
    /// </summary>
    public static void Register(DuckDbNative api, nint database, nint connection, nint conversions, Func<string, IDuckDbTable?> resolve)
    {
        Interlocked.CompareExchange(ref s_api, api, null);
        var host = new DuckDbTableFunction(api, database, conversions, resolve);
        nint function = api.CreateTableFunction();
        try
        {
            api.TableFunctionSetName(function, Name);
            nint varchar = api.CreateLogicalType(DuckDbNative.TypeVarchar);
            api.TableFunctionAddParameter(function, varchar);
            api.DestroyLogicalType(ref varchar);
            api.TableFunctionSetExtraInfo(function, Handle(host), Pointer(FreeHandleCallback));
            api.TableFunctionSetBind(function, Pointer(BindCallback));
            api.TableFunctionSetInit(function, Pointer(InitCallback));
            api.TableFunctionSetLocalInit(function, Pointer(LocalInitCallback));
            api.TableFunctionSetFunction(function, Pointer(ScanCallback));
            // A scan hands over only the columns the query reads (a join reading two of ten converts two).
            api.TableFunctionSupportsProjectionPushdown(function, 1);
            if (api.RegisterTableFunction(connection, function) != DuckDbNative.Success)
            {
                throw new IOException($"DuckDB refused the table function {Name}");
            }
        }
        finally
        {
            api.DestroyTableFunction(ref function);
        }

        api.AddReplacementScan(database, Pointer(ReplacementCallback), Handle(host), Pointer(FreeHandleCallback));
    }

    private static nint Pointer(Delegate callback) => Marshal.GetFunctionPointerForDelegate(callback);

    private static nint Handle(object target) => GCHandle.ToIntPtr(GCHandle.Alloc(target));

    private static T Target<T>(nint handle) => (T)GCHandle.FromIntPtr(handle).Target!;

    // What DuckDB lets go of (the host, a bind's data, a scan's state): disposed when it can be, and unpinned.
    private static void FreeHandle(nint handle)
    {
        if (handle != 0)
        {
            var pinned = GCHandle.FromIntPtr(handle);
            (pinned.Target as IDisposable)?.Dispose();
            pinned.Free();
        }
    }

    // A table name DuckDB's catalog lacks: when the resolver knows it, the scan becomes arrowcid_table('name').
    private static void Replace(nint info, nint tableName, nint data)
    {
        var host = Target<DuckDbTableFunction>(data);
        try
        {
            string name = Marshal.PtrToStringUTF8(tableName) ?? string.Empty;
            if (host._resolve(name) is null)
            {
                return;
            }

            host._api.ReplacementScanSetFunctionName(info, Name);
            nint value = host._api.CreateVarchar(name);
            host._api.ReplacementScanAddParameter(info, value);
            host._api.DestroyValue(ref value);
        }
        catch (Exception e)
        {
            host._api.ReplacementScanSetError(info, e.Message);
        }
    }

    // The table's columns, named and typed as DuckDB converts its Arrow schema.
    private static void Bind(nint info)
    {
        var host = Target<DuckDbTableFunction>(Api.BindGetExtraInfo(info));
        try
        {
            nint parameter = host._api.BindGetParameter(info, 0);
            string name;
            try
            {
                nint text = host._api.GetVarchar(parameter);
                name = Marshal.PtrToStringUTF8(text) ?? string.Empty;
                host._api.Free(text);
            }
            finally
            {
                host._api.DestroyValue(ref parameter);
            }

            var table = host._resolve(name) ?? throw new IOException($"no table is named '{name}'");
            var binding = new Binding(host, table);
            try
            {
                foreach (var (column, type) in binding.Columns())
                {
                    host._api.BindAddResultColumn(info, column, type);
                    nint owned = type;
                    host._api.DestroyLogicalType(ref owned);
                }
            }
            catch
            {
                binding.Dispose();
                throw;
            }

            if (table.Rows is { } rows)
            {
                host._api.BindSetCardinality(info, (ulong)rows, 1);
            }

            host._api.BindSetBindData(info, Handle(binding), Pointer(FreeHandleCallback));
        }
        catch (Exception e)
        {
            host._api.BindSetError(info, e.Message);
        }
    }

    // One scan: the table's batches from the start, the columns the query reads.
    private static void Init(nint info)
    {
        var binding = Target<Binding>(Api.InitGetBindData(info));
        try
        {
            var api = binding.Host._api;
            var projected = new ulong[checked((int)api.InitGetColumnCount(info))];
            for (int i = 0; i < projected.Length; i++)
            {
                projected[i] = api.InitGetColumnIndex(info, (ulong)i);
            }

            var scan = new ScanState(binding, projected);
            api.InitSetMaxThreads(info, scan.Parts is { } parts ? (ulong)Math.Max(1, Math.Min(parts.Count, Environment.ProcessorCount)) : 1);
            api.InitSetInitData(info, Handle(scan), Pointer(FreeHandleCallback));
        }
        catch (Exception e)
        {
            binding.Host._api.InitSetError(info, e.Message);
        }
    }

    // One thread's share of a scan (used when the table has parts; its connection is made on first use).
    private static void LocalInit(nint info)
    {
        var binding = Target<Binding>(Api.InitGetBindData(info));
        try
        {
            binding.Host._api.InitSetInitData(info, Handle(new ThreadScan(binding.Host)), Pointer(FreeHandleCallback));
        }
        catch (Exception e)
        {
            binding.Host._api.InitSetError(info, e.Message);
        }
    }

    // The next slice of at most a vector's rows, or none at the end.
    private static void Scan(nint info, nint output)
    {
        var state = Target<ScanState>(Api.FunctionGetInitData(info));
        try
        {
            if (state.Parts is not null)
            {
                Target<ThreadScan>(state.Binding.Host._api.FunctionGetLocalInitData(info)).Next(state, output);
            }
            else
            {
                state.Next(output);
            }
        }
        catch (Exception e)
        {
            state.Binding.Host._api.FunctionSetError(info, e.Message);
        }
    }

    // The API the callbacks read their first handle with, before they know their host: any binding
    // of the one libduckdb a process loads (NativeLibrary hands out the same library for one path).
    private static DuckDbNative? s_api;

    private static DuckDbNative Api => Volatile.Read(ref s_api)!;

    // DuckDB's conversion of an Arrow schema, which the caller destroys.
    private nint ConvertSchema(Schema schema)
    {
        nint exported = CArrowSchema.AllocateAddress();
        try
        {
            CArrowSchemaExporter.Export(schema, exported);
            _api.ThrowOnError(_api.SchemaFromArrow(_conversions, exported, out nint converted), "DuckDB cannot read the table's schema");
            return converted;
        }
        finally
        {
            CArrowSchema.Free(exported);
        }
    }

    // A data chunk of a batch of a converted schema, which the caller destroys.
    private nint Convert(RecordBatch batch, nint converted) => Convert(batch, converted, _conversions);

    // As Convert, on a given connection (each thread of a parallel scan converts on its own).
    private nint Convert(RecordBatch batch, nint converted, nint conversions)
    {
        nint array = CArrowArray.AllocateAddress();
        try
        {
            CArrowArrayExporter.Export(batch, array);
            // DuckDB takes the array's contents (and calls its release) whether or not it succeeds.
            _api.ThrowOnError(_api.DataChunkFromArrow(conversions, array, converted, out nint chunk), "DuckDB cannot read a batch");
            return chunk;
        }
        finally
        {
            CArrowArray.Free(array);
        }
    }

    /// <summary>What a bind found: the table and DuckDB's conversion of its schema.</summary>
    private sealed class Binding : IDisposable
    {
        private nint _converted;

        public Binding(DuckDbTableFunction host, IDuckDbTable table)
        {
            Host = host;
            Table = table;
            _converted = host.ConvertSchema(table.Schema);
        }

        public DuckDbTableFunction Host { get; }

        public IDuckDbTable Table { get; }

        /// <summary>Each column's name and DuckDB type (the caller destroys the types), read from an empty slice converted.</summary>
        public List<(string Name, nint Type)> Columns()
        {
            var fields = Table.Schema.Fields;
            nint chunk = Convert(Empty(Table.Schema));
            try
            {
                var columns = new List<(string Name, nint Type)>(fields.Length);
                for (int c = 0; c < fields.Length; c++)
                {
                    columns.Add((fields[c].Name, Host._api.VectorGetColumnType(Host._api.DataChunkGetVector(chunk, (ulong)c))));
                }

                return columns;
            }
            finally
            {
                Host._api.DestroyDataChunk(ref chunk);
            }
        }

        /// <summary>A data chunk of <paramref name="batch"/>'s rows (at most a vector's), which the caller destroys.</summary>
        public nint Convert(RecordBatch batch) => Host.Convert(batch, _converted);

        public void Dispose()
        {
            if (_converted != 0)
            {
                Host._api.DestroyArrowConvertedSchema(ref _converted);
            }
        }

        private static RecordBatch Empty(Schema schema) => new RecordBatchBuilder(schema).Build();
    }

    /// <summary>
    /// One scan's place in the table: the batch being handed over and the next row of it, and the
    /// columns the query reads. A projected index past the table's columns is DuckDB's row id, which
    /// a query that reads no column (a <c>count(*)</c>) asks for: its vector is left as it is, as
    /// DuckDB's own Arrow scan leaves it.
    /// </summary>
    private sealed class ScanState : IDisposable
    {
        private readonly int[] _columns;
        private readonly int[] _outputs;
        private readonly Schema _schema;
        private nint _converted;
        private readonly BatchCursor _sequence = new();
        private IEnumerator<RecordBatch>? _batches;
        private int _nextPart = -1;

        public ScanState(Binding binding, ulong[] projected)
        {
            Binding = binding;
            var fields = binding.Table.Schema.Fields;
            var columns = new List<int>();
            var outputs = new List<int>();
            for (int i = 0; i < projected.Length; i++)
            {
                if (projected[i] < (ulong)fields.Length)
                {
                    columns.Add((int)projected[i]);
                    outputs.Add(i);
                }
            }

            _columns = [.. columns];
            _outputs = [.. outputs];
            _schema = new Schema([.. _columns.Select(c => fields[c])], binding.Table.Schema.Metadata);
            _converted = binding.Host.ConvertSchema(_schema);
            Parts = binding.Table.Parts();
            _batches = Parts is null ? binding.Table.Read().GetEnumerator() : null;
        }

        public Binding Binding { get; }

        /// <summary>The table's parts, when threads claim them; null when it is read in sequence.</summary>
        public IReadOnlyList<Func<RecordBatch>>? Parts { get; }

        /// <summary>The next batch the scan hands out, null at the end: the next part no thread has claimed (opened), or the next batch of the sequence.</summary>
        public RecordBatch? TakeNext()
        {
            if (Parts is null)
            {
                return _batches is not null && _batches.MoveNext() ? _batches.Current : null;
            }

            int part = Interlocked.Increment(ref _nextPart);
            return part < Parts.Count ? Parts[part]() : null;
        }

        /// <summary>
        /// Hands DuckDB the rows [<paramref name="row"/>, +a vector) of <paramref name="batch"/>'s
        /// columns the query reads, converted on <paramref name="conversions"/>; returns the rows handed.
        /// </summary>
        public int Emit(RecordBatch batch, int row, nint output, nint conversions)
        {
            var api = Binding.Host._api;
            int rows = Math.Min(Binding.Host._vectorSize, batch.Length - row);
            // The columns read, of a slice: both borrow the batch's memory, and the export takes its own hold until DuckDB lets go.
            var slice = RecordBatch.Borrowing(_schema, rows, _columns.Select(c => batch.Columns[c].Slice(row, rows)), batch.Owner);
            nint chunk = Binding.Host.Convert(slice, _converted, conversions);
            try
            {
                for (int c = 0; c < _columns.Length; c++)
                {
                    api.VectorReferenceVector(api.DataChunkGetVector(output, (ulong)_outputs[c]), api.DataChunkGetVector(chunk, (ulong)c));
                }

                api.DataChunkSetSize(output, (ulong)rows);
            }
            finally
            {
                api.DestroyDataChunk(ref chunk);
            }

            return rows;
        }

        /// <summary>The next slice of a table read in sequence, on the scan's one thread.</summary>
        public void Next(nint output) => _sequence.Next(this, output, Binding.Host._conversions);

        public void Dispose()
        {
            _sequence.Dispose();
            _batches?.Dispose();
            _batches = null;
            if (_converted != 0)
            {
                Binding.Host._api.DestroyArrowConvertedSchema(ref _converted);
            }
        }
    }

    /// <summary>One thread's share of a parallel scan: the part it claimed, the next row of it, and a connection of its own to convert on.</summary>
    private sealed class ThreadScan(DuckDbTableFunction host) : IDisposable
    {
        private readonly BatchCursor _parts = new();
        private nint _conversions;

        public void Next(ScanState scan, nint output)
        {
            if (_conversions == 0 && host._api.Connect(host._database, out _conversions) != DuckDbNative.Success)
            {
                throw new IOException("DuckDB refused a connection to convert batches on");
            }

            _parts.Next(scan, output, _conversions);
        }

        public void Dispose()
        {
            _parts.Dispose();
            if (_conversions != 0)
            {
                host._api.Disconnect(ref _conversions);
            }
        }
    }

    /// <summary>The batch being handed over and its next row: the sequential scan's, or one thread's of a parallel scan.</summary>
    private sealed class BatchCursor : IDisposable
    {
        private RecordBatch? _batch;
        private int _row;

        /// <summary>Hands DuckDB the next slice, taking the scan's next batch when this one is done; an empty chunk at the end.</summary>
        public void Next(ScanState scan, nint output, nint conversions)
        {
            while (_batch is null || _row >= _batch.Length)
            {
                _batch?.Dispose();
                _batch = null;
                _row = 0;
                if (scan.TakeNext() is not { } next)
                {
                    scan.Binding.Host._api.DataChunkSetSize(output, 0);
                    return;
                }

                _batch = next;
            }

            _row += scan.Emit(_batch, _row, output, conversions);
        }

        public void Dispose()
        {
            _batch?.Dispose();
            _batch = null;
        }
    }
}
