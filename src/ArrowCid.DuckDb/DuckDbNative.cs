using System.Runtime.InteropServices;

namespace ArrowCid.DuckDb;

/// <summary>
/// <c>duckdb_result</c> (duckdb.h): passed by value to <c>duckdb_fetch_chunk</c>, so its layout matters.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct DuckDbResult
{
    public ulong DeprecatedColumnCount;
    public ulong DeprecatedRowCount;
    public ulong DeprecatedRowsChanged;
    public nint DeprecatedColumns;
    public nint DeprecatedErrorMessage;
    public nint InternalData;
}

/// <summary>
/// A minimal binding of the DuckDB C API (duckdb.h, v1.5) for the Arrow C Data Interface: open,
/// connect, query, read scalar values, scan an <c>ArrowArrayStream</c>, and export results as Arrow.
/// Resolved at run time with <see cref="NativeLibrary"/> from a given file, with delegates over the
/// exported functions (no unsafe code), so that it can move to a shared project unchanged.
/// Handles (<c>duckdb_database</c>, <c>duckdb_connection</c>, …) are opaque pointers. The library
/// stays loaded for the life of the process (DuckDB's worker threads and the delegates use it).
/// </summary>
internal sealed class DuckDbNative
{
    public const int Success = 0;

    private readonly nint _library;

    private DuckDbNative(nint library)
    {
        _library = library;
        Open = Get<OpenFn>("duckdb_open");
        Close = Get<DestroyFn>("duckdb_close");
        Connect = Get<ConnectFn>("duckdb_connect");
        Disconnect = Get<DestroyFn>("duckdb_disconnect");
        Query = Get<QueryFn>("duckdb_query");
        DestroyResult = Get<ResultFn>("duckdb_destroy_result");
        ResultError = Get<ResultTextFn>("duckdb_result_error");
        ValueInt64 = Get<ValueInt64Fn>("duckdb_value_int64");
        ValueDouble = Get<ValueDoubleFn>("duckdb_value_double");
        ValueVarchar = Get<ValuePointerFn>("duckdb_value_varchar");
        ValueIsNull = Get<ValueBoolFn>("duckdb_value_is_null");
        Free = Get<FreeFn>("duckdb_free");
        RowCount = Get<CountFn>("duckdb_row_count");
        ColumnCount = Get<CountFn>("duckdb_column_count");
        ColumnName = Get<ColumnPointerFn>("duckdb_column_name");
        ColumnLogicalType = Get<ColumnPointerFn>("duckdb_column_logical_type");
        DestroyLogicalType = Get<DestroyFn>("duckdb_destroy_logical_type");
        ArrowScan = Get<ArrowScanFn>("duckdb_arrow_scan");
        ResultGetArrowOptions = Get<ResultPointerFn>("duckdb_result_get_arrow_options");
        DestroyArrowOptions = Get<DestroyFn>("duckdb_destroy_arrow_options");
        ToArrowSchema = Get<ToArrowSchemaFn>("duckdb_to_arrow_schema");
        FetchChunk = Get<FetchChunkFn>("duckdb_fetch_chunk");
        DataChunkToArrow = Get<ChunkToArrowFn>("duckdb_data_chunk_to_arrow");
        DestroyDataChunk = Get<DestroyFn>("duckdb_destroy_data_chunk");
        ErrorDataHasError = Get<ErrorBoolFn>("duckdb_error_data_has_error");
        ErrorDataMessage = Get<ErrorTextFn>("duckdb_error_data_message");
        DestroyErrorData = Get<DestroyFn>("duckdb_destroy_error_data");
    }

    // ---- signatures (duckdb.h); C bool is one byte ----

    /// <summary><c>duckdb_state duckdb_open(const char *path, duckdb_database *out)</c>; a null path opens an in-memory database.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate int OpenFn(nint path, out nint database);

    /// <summary><c>void duckdb_X(handle *)</c>: close, disconnect and every destroy function that takes a pointer to a handle.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate void DestroyFn(ref nint handle);

    /// <summary><c>duckdb_state duckdb_connect(duckdb_database, duckdb_connection *out)</c>.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate int ConnectFn(nint database, out nint connection);

    /// <summary><c>duckdb_state duckdb_query(duckdb_connection, const char *sql, duckdb_result *out)</c>.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate int QueryFn(nint connection, [MarshalAs(UnmanagedType.LPUTF8Str)] string sql, nint result);

    /// <summary><c>void duckdb_destroy_result(duckdb_result *)</c>.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate void ResultFn(nint result);

    /// <summary><c>const char *duckdb_result_error(duckdb_result *)</c>.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate nint ResultTextFn(nint result);

    /// <summary><c>duckdb_arrow_options duckdb_result_get_arrow_options(duckdb_result *)</c>.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate nint ResultPointerFn(nint result);

    /// <summary><c>int64_t duckdb_value_int64(duckdb_result *, idx_t col, idx_t row)</c>.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate long ValueInt64Fn(nint result, ulong column, ulong row);

    /// <summary><c>double duckdb_value_double(duckdb_result *, idx_t col, idx_t row)</c>.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate double ValueDoubleFn(nint result, ulong column, ulong row);

    /// <summary><c>char *duckdb_value_varchar(duckdb_result *, idx_t col, idx_t row)</c> (free with duckdb_free).</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate nint ValuePointerFn(nint result, ulong column, ulong row);

    /// <summary><c>bool duckdb_value_is_null(duckdb_result *, idx_t col, idx_t row)</c>.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate byte ValueBoolFn(nint result, ulong column, ulong row);

    /// <summary><c>void duckdb_free(void *)</c>.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate void FreeFn(nint pointer);

    /// <summary><c>idx_t duckdb_row_count(duckdb_result *)</c> and <c>duckdb_column_count</c>.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate ulong CountFn(nint result);

    /// <summary><c>const char *duckdb_column_name(duckdb_result *, idx_t)</c> and <c>duckdb_logical_type duckdb_column_logical_type(duckdb_result *, idx_t)</c>.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate nint ColumnPointerFn(nint result, ulong column);

    /// <summary><c>duckdb_state duckdb_arrow_scan(duckdb_connection, const char *table_name, duckdb_arrow_stream)</c>.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate int ArrowScanFn(nint connection, [MarshalAs(UnmanagedType.LPUTF8Str)] string tableName, nint arrowStream);

    /// <summary><c>duckdb_error_data duckdb_to_arrow_schema(duckdb_arrow_options, duckdb_logical_type *types, const char **names, idx_t count, struct ArrowSchema *out)</c>.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate nint ToArrowSchemaFn(nint options, nint types, nint names, ulong columnCount, nint outSchema);

    /// <summary><c>duckdb_data_chunk duckdb_fetch_chunk(duckdb_result)</c> (the result by value).</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate nint FetchChunkFn(DuckDbResult result);

    /// <summary><c>duckdb_error_data duckdb_data_chunk_to_arrow(duckdb_arrow_options, duckdb_data_chunk, struct ArrowArray *out)</c>.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate nint ChunkToArrowFn(nint options, nint chunk, nint outArray);

    /// <summary><c>bool duckdb_error_data_has_error(duckdb_error_data)</c>.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate byte ErrorBoolFn(nint error);

    /// <summary><c>const char *duckdb_error_data_message(duckdb_error_data)</c>.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate nint ErrorTextFn(nint error);

    public OpenFn Open { get; }
    public DestroyFn Close { get; }
    public ConnectFn Connect { get; }
    public DestroyFn Disconnect { get; }
    public QueryFn Query { get; }
    public ResultFn DestroyResult { get; }
    public ResultTextFn ResultError { get; }
    public ValueInt64Fn ValueInt64 { get; }
    public ValueDoubleFn ValueDouble { get; }
    public ValuePointerFn ValueVarchar { get; }
    public ValueBoolFn ValueIsNull { get; }
    public FreeFn Free { get; }
    public CountFn RowCount { get; }
    public CountFn ColumnCount { get; }
    public ColumnPointerFn ColumnName { get; }
    public ColumnPointerFn ColumnLogicalType { get; }
    public DestroyFn DestroyLogicalType { get; }
    public ArrowScanFn ArrowScan { get; }
    public ResultPointerFn ResultGetArrowOptions { get; }
    public DestroyFn DestroyArrowOptions { get; }
    public ToArrowSchemaFn ToArrowSchema { get; }
    public FetchChunkFn FetchChunk { get; }
    public ChunkToArrowFn DataChunkToArrow { get; }
    public DestroyFn DestroyDataChunk { get; }
    public ErrorBoolFn ErrorDataHasError { get; }
    public ErrorTextFn ErrorDataMessage { get; }
    public DestroyFn DestroyErrorData { get; }

    /// <summary>Size of <c>duckdb_result</c>, for callers that allocate one.</summary>
    public static int ResultSize => Marshal.SizeOf<DuckDbResult>();

    /// <summary>Loads the library at <paramref name="path"/>.</summary>
    public static DuckDbNative Load(string path) => new(NativeLibrary.Load(path));

    /// <summary>
    /// libduckdb.so: ARROWCID_LIBDUCKDB when set, else the copy the DuckDB.NET.Data.Full package puts
    /// beside the program (runtimes/linux-x64/native, or the program's own folder when published for
    /// one runtime); null when there is none.
    /// </summary>
    public static string? Find()
    {
        if (Environment.GetEnvironmentVariable("ARROWCID_LIBDUCKDB") is { Length: > 0 } fromEnvironment && File.Exists(fromEnvironment))
        {
            return fromEnvironment;
        }

        return Beside(AppContext.BaseDirectory);
    }

    /// <summary>The package's libduckdb.so in the program folder <paramref name="folder"/>, or null.</summary>
    public static string? Beside(string folder)
    {
        foreach (string candidate in new[]
        {
            Path.Combine(folder, "runtimes", RuntimeInformation.RuntimeIdentifier, "native", "libduckdb.so"),
            Path.Combine(folder, "runtimes", "linux-x64", "native", "libduckdb.so"),
            Path.Combine(folder, "libduckdb.so"),
        })
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>The message of a <c>duckdb_error_data</c> (null when there is no error); destroys it.</summary>
    public string? TakeError(nint error)
    {
        if (error == 0)
        {
            return null;
        }

        string? message = ErrorDataHasError(error) != 0 ? Marshal.PtrToStringUTF8(ErrorDataMessage(error)) ?? "unknown DuckDB error" : null;
        DestroyErrorData(ref error);
        return message;
    }

    /// <summary>Reads a value as text (null for SQL NULL).</summary>
    public string? Varchar(nint result, int column, int row)
    {
        if (ValueIsNull(result, (ulong)column, (ulong)row) != 0)
        {
            return null;
        }

        nint p = ValueVarchar(result, (ulong)column, (ulong)row);
        try
        {
            return Marshal.PtrToStringUTF8(p);
        }
        finally
        {
            Free(p);
        }
    }

    private T Get<T>(string name) where T : Delegate =>
        Marshal.GetDelegateForFunctionPointer<T>(NativeLibrary.GetExport(_library, name));
}
