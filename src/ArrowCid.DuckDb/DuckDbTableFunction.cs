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
/// the function's error, never letting an exception cross into native code. One scan runs on one
/// thread at a time (<c>duckdb_init_set_max_threads</c> 1), so a scan's state needs no lock.
/// </remarks>
internal sealed class DuckDbTableFunction
{
    /// <summary>The table function's name.</summary>
    public const string Name = "arrowcid_table";

    // The callbacks DuckDB holds: kept alive for the process (DuckDB may call them until it closes).
    private static readonly DuckDbNative.ReplacementFn ReplacementCallback = Replace;
    private static readonly DuckDbNative.InfoFn BindCallback = Bind;
    private static readonly DuckDbNative.InfoFn InitCallback = Init;
    private static readonly DuckDbNative.ChunkFn ScanCallback = Scan;
    private static readonly DuckDbNative.FreeFn FreeHandleCallback = FreeHandle;

    private readonly DuckDbNative _api;
    private readonly nint _conversions;
    private readonly Func<string, IDuckDbTable?> _resolve;
    private readonly int _vectorSize;

    private DuckDbTableFunction(DuckDbNative api, nint conversions, Func<string, IDuckDbTable?> resolve)
    {
        _api = api;
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
        var host = new DuckDbTableFunction(api, conversions, resolve);
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
            api.TableFunctionSetFunction(function, Pointer(ScanCallback));
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

            host._api.BindSetBindData(info, Handle(binding), Pointer(FreeHandleCallback));
        }
        catch (Exception e)
        {
            host._api.BindSetError(info, e.Message);
        }
    }

    // One scan: the table's batches from the start.
    private static void Init(nint info)
    {
        var binding = Target<Binding>(Api.InitGetBindData(info));
        try
        {
            binding.Host._api.InitSetMaxThreads(info, 1);
            binding.Host._api.InitSetInitData(info, Handle(new ScanState(binding)), Pointer(FreeHandleCallback));
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
            state.Next(output);
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

    /// <summary>What a bind found: the table and DuckDB's conversion of its schema.</summary>
    private sealed class Binding : IDisposable
    {
        private nint _converted;

        public Binding(DuckDbTableFunction host, IDuckDbTable table)
        {
            Host = host;
            Table = table;
            nint schema = CArrowSchema.AllocateAddress();
            try
            {
                CArrowSchemaExporter.Export(table.Schema, schema);
                host._api.ThrowOnError(host._api.SchemaFromArrow(host._conversions, schema, out _converted), "DuckDB cannot read the table's schema");
            }
            finally
            {
                CArrowSchema.Free(schema);
            }
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
        public nint Convert(RecordBatch batch)
        {
            nint array = CArrowArray.AllocateAddress();
            try
            {
                CArrowArrayExporter.Export(batch, array);
                // DuckDB takes the array's contents (and calls its release) whether or not it succeeds.
                Host._api.ThrowOnError(Host._api.DataChunkFromArrow(Host._conversions, array, _converted, out nint chunk), "DuckDB cannot read a batch");
                return chunk;
            }
            finally
            {
                CArrowArray.Free(array);
            }
        }

        public void Dispose()
        {
            if (_converted != 0)
            {
                Host._api.DestroyArrowConvertedSchema(ref _converted);
            }
        }

        private static RecordBatch Empty(Schema schema) => new RecordBatchBuilder(schema).Build();
    }

    /// <summary>One scan's place in the table: the batch being handed over and the next row of it.</summary>
    private sealed class ScanState(Binding binding) : IDisposable
    {
        private IEnumerator<RecordBatch>? _batches = binding.Table.Read().GetEnumerator();
        private RecordBatch? _batch;
        private int _row;

        public Binding Binding { get; } = binding;

        public void Next(nint output)
        {
            var api = Binding.Host._api;
            while (_batch is null || _row >= _batch.Length)
            {
                _batch?.Dispose();
                _batch = null;
                _row = 0;
                if (_batches is null || !_batches.MoveNext())
                {
                    api.DataChunkSetSize(output, 0);
                    return;
                }

                _batch = _batches.Current;
            }

            int rows = Math.Min(Binding.Host._vectorSize, _batch.Length - _row);
            // A slice borrows the batch's memory; the export takes its own hold until DuckDB lets go.
            nint chunk = Binding.Convert(_batch.Slice(_row, rows));
            try
            {
                for (int c = 0; c < Binding.Table.Schema.Fields.Length; c++)
                {
                    api.VectorReferenceVector(api.DataChunkGetVector(output, (ulong)c), api.DataChunkGetVector(chunk, (ulong)c));
                }

                api.DataChunkSetSize(output, (ulong)rows);
            }
            finally
            {
                api.DestroyDataChunk(ref chunk);
            }

            _row += rows;
        }

        public void Dispose()
        {
            _batch?.Dispose();
            _batch = null;
            _batches?.Dispose();
            _batches = null;
        }
    }
}
