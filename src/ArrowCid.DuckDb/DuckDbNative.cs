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
/// connect, query, read scalar values, scan an <c>ArrowArrayStream</c>, export results as Arrow, and
/// serve tables through a table function and a replacement scan that DuckDB calls back.
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
        CreateTableFunction = Get<CreateFn>("duckdb_create_table_function");
        DestroyTableFunction = Get<DestroyFn>("duckdb_destroy_table_function");
        TableFunctionSetName = Get<SetNameFn>("duckdb_table_function_set_name");
        TableFunctionAddParameter = Get<HandlePairFn>("duckdb_table_function_add_parameter");
        TableFunctionSetExtraInfo = Get<SetDataFn>("duckdb_table_function_set_extra_info");
        TableFunctionSetBind = Get<HandlePairFn>("duckdb_table_function_set_bind");
        TableFunctionSetInit = Get<HandlePairFn>("duckdb_table_function_set_init");
        TableFunctionSetLocalInit = Get<HandlePairFn>("duckdb_table_function_set_local_init");
        FunctionGetLocalInitData = Get<GetPointerFn>("duckdb_function_get_local_init_data");
        TableFunctionSetFunction = Get<HandlePairFn>("duckdb_table_function_set_function");
        RegisterTableFunction = Get<RegisterFn>("duckdb_register_table_function");
        BindGetExtraInfo = Get<GetPointerFn>("duckdb_bind_get_extra_info");
        BindGetParameter = Get<GetParameterFn>("duckdb_bind_get_parameter");
        BindAddResultColumn = Get<AddColumnFn>("duckdb_bind_add_result_column");
        BindSetBindData = Get<SetDataFn>("duckdb_bind_set_bind_data");
        BindSetCardinality = Get<SetCardinalityFn>("duckdb_bind_set_cardinality");
        BindSetError = Get<SetNameFn>("duckdb_bind_set_error");
        InitGetBindData = Get<GetPointerFn>("duckdb_init_get_bind_data");
        InitSetInitData = Get<SetDataFn>("duckdb_init_set_init_data");
        InitSetMaxThreads = Get<SetCountFn>("duckdb_init_set_max_threads");
        TableFunctionSupportsProjectionPushdown = Get<SetFlagFn>("duckdb_table_function_supports_projection_pushdown");
        InitGetColumnCount = Get<CountFn>("duckdb_init_get_column_count");
        InitGetColumnIndex = Get<IndexFn>("duckdb_init_get_column_index");
        FunctionGetInitData = Get<GetPointerFn>("duckdb_function_get_init_data");
        FunctionSetError = Get<SetNameFn>("duckdb_function_set_error");
        InitSetError = Get<SetNameFn>("duckdb_init_set_error");
        DataChunkGetVector = Get<GetParameterFn>("duckdb_data_chunk_get_vector");
        DataChunkSetSize = Get<SetCountFn>("duckdb_data_chunk_set_size");
        VectorReferenceVector = Get<HandlePairFn>("duckdb_vector_reference_vector");
        VectorGetColumnType = Get<GetPointerFn>("duckdb_vector_get_column_type");
        VectorSize = Get<SizeFn>("duckdb_vector_size");
        CreateLogicalType = Get<CreateTypeFn>("duckdb_create_logical_type");
        CreateVarchar = Get<CreateVarcharFn>("duckdb_create_varchar");
        GetVarchar = Get<GetPointerFn>("duckdb_get_varchar");
        DestroyValue = Get<DestroyFn>("duckdb_destroy_value");
        AddReplacementScan = Get<SetDataAndCallbackFn>("duckdb_add_replacement_scan");
        ReplacementScanSetFunctionName = Get<SetNameFn>("duckdb_replacement_scan_set_function_name");
        ReplacementScanSetError = Get<SetNameFn>("duckdb_replacement_scan_set_error");
        ReplacementScanAddParameter = Get<HandlePairFn>("duckdb_replacement_scan_add_parameter");
        SchemaFromArrow = Get<SchemaFromArrowFn>("duckdb_schema_from_arrow");
        DataChunkFromArrow = Get<ChunkFromArrowFn>("duckdb_data_chunk_from_arrow");
        DestroyArrowConvertedSchema = Get<DestroyFn>("duckdb_destroy_arrow_converted_schema");
        Interrupt = Get<ResultFn>("duckdb_interrupt");
    }

    /// <summary><c>DUCKDB_TYPE_VARCHAR</c> of <c>duckdb_type</c>.</summary>
    public const int TypeVarchar = 17;

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

    // ---- table functions and replacement scans (a source DuckDB calls back into) ----

    /// <summary><c>void (*duckdb_replacement_callback_t)(duckdb_replacement_scan_info, const char *table_name, void *data)</c>.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate void ReplacementFn(nint info, nint tableName, nint data);

    /// <summary><c>void (*)(duckdb_bind_info)</c> and <c>void (*)(duckdb_init_info)</c>: a table function's bind and init.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate void InfoFn(nint info);

    /// <summary><c>void (*)(duckdb_function_info, duckdb_data_chunk output)</c>: a table function's scan.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate void ChunkFn(nint info, nint output);

    /// <summary><c>duckdb_table_function duckdb_create_table_function()</c>.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate nint CreateFn();

    /// <summary><c>void f(handle, const char *)</c>: a table function's name, an error of a bind, a function or a replacement scan, a replacement's function name.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate void SetNameFn(nint handle, [MarshalAs(UnmanagedType.LPUTF8Str)] string text);

    /// <summary><c>void f(handle, handle)</c>: a parameter type, a callback, a vector referenced by another, a replacement's parameter.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate void HandlePairFn(nint first, nint second);

    /// <summary><c>void f(handle, void *data, duckdb_delete_callback_t destroy)</c>: extra info, bind data, init data.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate void SetDataFn(nint handle, nint data, nint destroy);

    /// <summary><c>void duckdb_add_replacement_scan(duckdb_database, duckdb_replacement_callback_t, void *extra, duckdb_delete_callback_t)</c>.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate void SetDataAndCallbackFn(nint database, nint callback, nint data, nint destroy);

    /// <summary><c>duckdb_state duckdb_register_table_function(duckdb_connection, duckdb_table_function)</c>.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate int RegisterFn(nint connection, nint function);

    /// <summary><c>void *f(handle)</c>: extra info, bind data, init data, a vector's type, a value's text.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate nint GetPointerFn(nint handle);

    /// <summary><c>handle f(handle, idx_t)</c>: a bind's parameter, a chunk's vector.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate nint GetParameterFn(nint handle, ulong index);

    /// <summary><c>void duckdb_bind_add_result_column(duckdb_bind_info, const char *name, duckdb_logical_type)</c>.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate void AddColumnFn(nint info, [MarshalAs(UnmanagedType.LPUTF8Str)] string name, nint type);

    /// <summary><c>void f(handle, idx_t)</c>: an init's thread count, a chunk's size.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate void SetCountFn(nint handle, ulong count);

    /// <summary><c>void duckdb_bind_set_cardinality(duckdb_bind_info, idx_t, bool is_exact)</c>.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate void SetCardinalityFn(nint info, ulong cardinality, byte exact);

    /// <summary><c>void f(handle, bool)</c>: <c>duckdb_table_function_supports_projection_pushdown</c>; C bool is one byte.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate void SetFlagFn(nint handle, byte value);

    /// <summary><c>idx_t f(handle, idx_t)</c>: <c>duckdb_init_get_column_index</c>.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate ulong IndexFn(nint handle, ulong index);

    /// <summary><c>idx_t duckdb_vector_size()</c>.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate ulong SizeFn();

    /// <summary><c>duckdb_logical_type duckdb_create_logical_type(duckdb_type)</c>.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate nint CreateTypeFn(int type);

    /// <summary><c>duckdb_value duckdb_create_varchar(const char *)</c>.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate nint CreateVarcharFn([MarshalAs(UnmanagedType.LPUTF8Str)] string text);

    /// <summary><c>duckdb_error_data duckdb_schema_from_arrow(duckdb_connection, struct ArrowSchema *, duckdb_arrow_converted_schema *out)</c>.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate nint SchemaFromArrowFn(nint connection, nint schema, out nint converted);

    /// <summary><c>duckdb_error_data duckdb_data_chunk_from_arrow(duckdb_connection, struct ArrowArray *, duckdb_arrow_converted_schema, duckdb_data_chunk *out)</c>.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate nint ChunkFromArrowFn(nint connection, nint array, nint converted, out nint chunk);

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
    public CreateFn CreateTableFunction { get; }
    public DestroyFn DestroyTableFunction { get; }
    public SetNameFn TableFunctionSetName { get; }
    public HandlePairFn TableFunctionAddParameter { get; }
    public SetDataFn TableFunctionSetExtraInfo { get; }
    public HandlePairFn TableFunctionSetBind { get; }
    public HandlePairFn TableFunctionSetInit { get; }
    public HandlePairFn TableFunctionSetLocalInit { get; }
    public GetPointerFn FunctionGetLocalInitData { get; }
    public HandlePairFn TableFunctionSetFunction { get; }
    public RegisterFn RegisterTableFunction { get; }
    public GetPointerFn BindGetExtraInfo { get; }
    public GetParameterFn BindGetParameter { get; }
    public AddColumnFn BindAddResultColumn { get; }
    public SetDataFn BindSetBindData { get; }
    public SetCardinalityFn BindSetCardinality { get; }
    public SetNameFn BindSetError { get; }
    public GetPointerFn InitGetBindData { get; }
    public SetDataFn InitSetInitData { get; }
    public SetCountFn InitSetMaxThreads { get; }
    public SetFlagFn TableFunctionSupportsProjectionPushdown { get; }
    public CountFn InitGetColumnCount { get; }
    public IndexFn InitGetColumnIndex { get; }
    public GetPointerFn FunctionGetInitData { get; }
    public SetNameFn FunctionSetError { get; }
    public SetNameFn InitSetError { get; }
    public GetParameterFn DataChunkGetVector { get; }
    public SetCountFn DataChunkSetSize { get; }
    public HandlePairFn VectorReferenceVector { get; }
    public GetPointerFn VectorGetColumnType { get; }
    public SizeFn VectorSize { get; }
    public CreateTypeFn CreateLogicalType { get; }
    public CreateVarcharFn CreateVarchar { get; }
    public GetPointerFn GetVarchar { get; }
    public DestroyFn DestroyValue { get; }
    public SetDataAndCallbackFn AddReplacementScan { get; }
    public SetNameFn ReplacementScanSetFunctionName { get; }
    public SetNameFn ReplacementScanSetError { get; }
    public HandlePairFn ReplacementScanAddParameter { get; }
    public SchemaFromArrowFn SchemaFromArrow { get; }
    public ChunkFromArrowFn DataChunkFromArrow { get; }
    public DestroyFn DestroyArrowConvertedSchema { get; }

    /// <summary><c>void duckdb_interrupt(duckdb_connection)</c>: the running query stops with an INTERRUPT error.</summary>
    public ResultFn Interrupt { get; }

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

    /// <summary>Throws an <see cref="IOException"/> saying <paramref name="what"/> and DuckDB's message when <paramref name="error"/> (a <c>duckdb_error_data</c>, destroyed) holds one.</summary>
    public void ThrowOnError(nint error, string what)
    {
        if (TakeError(error) is { } message)
        {
            throw new IOException($"{what}: {message}");
        }
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
