using System.Runtime.InteropServices;

namespace ArrowCid.Cli.Bench.DuckDb;

/// <summary>
/// The few DuckDB C API functions (duckdb.h, v1.x) the Parquet benchmark needs: open an in-memory
/// database, connect, run SQL, and register an <c>ArrowArrayStream</c> as a view
/// (<c>duckdb_arrow_scan</c>). Resolved at run time with <see cref="NativeLibrary"/> from
/// libduckdb.so through delegates (no unsafe code). A subset of the test binding in
/// tests/ArrowCid.Arrow.Tests/DuckDb. The library stays loaded for the life of the process.
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
        ArrowScan = Get<ArrowScanFn>("duckdb_arrow_scan");
    }

    /// <summary><c>duckdb_state duckdb_open(const char *path, duckdb_database *out)</c>; a null path opens an in-memory database.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate int OpenFn(nint path, out nint database);

    /// <summary><c>void duckdb_close(duckdb_database *)</c> and <c>duckdb_disconnect(duckdb_connection *)</c>.</summary>
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

    /// <summary><c>int64_t duckdb_value_int64(duckdb_result *, idx_t col, idx_t row)</c>.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate long ValueInt64Fn(nint result, ulong column, ulong row);

    /// <summary><c>duckdb_state duckdb_arrow_scan(duckdb_connection, const char *table_name, duckdb_arrow_stream)</c>.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate int ArrowScanFn(nint connection, [MarshalAs(UnmanagedType.LPUTF8Str)] string tableName, nint arrowStream);

    public OpenFn Open { get; }

    public DestroyFn Close { get; }

    public ConnectFn Connect { get; }

    public DestroyFn Disconnect { get; }

    public QueryFn Query { get; }

    public ResultFn DestroyResult { get; }

    public ResultTextFn ResultError { get; }

    public ValueInt64Fn ValueInt64 { get; }

    public ArrowScanFn ArrowScan { get; }

    /// <summary>Size of <c>duckdb_result</c> (48 bytes: three idx_t and three pointers).</summary>
    public static int ResultSize => 48;

    /// <summary>Loads the library at <paramref name="path"/>.</summary>
    public static DuckDbNative Load(string path) => new(NativeLibrary.Load(path));

    /// <summary>
    /// libduckdb.so: <c>$ARROWCID_LIBDUCKDB</c>, else the node bindings' copy
    /// (interop/node/node_modules/@duckdb/node-bindings-linux-x64) found walking up from the
    /// program's folder or the current folder to the one holding ArrowCid.sln; null when absent.
    /// </summary>
    public static string? Find()
    {
        if (Environment.GetEnvironmentVariable("ARROWCID_LIBDUCKDB") is { Length: > 0 } fromEnvironment && File.Exists(fromEnvironment))
        {
            return fromEnvironment;
        }

        foreach (string start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "ArrowCid.sln")))
                {
                    string candidate = Path.Combine(dir.FullName, "interop", "node", "node_modules", "@duckdb", "node-bindings-linux-x64", "libduckdb.so");
                    if (File.Exists(candidate))
                    {
                        return candidate;
                    }

                    break;
                }
            }
        }

        return null;
    }

    private T Get<T>(string name) where T : Delegate =>
        Marshal.GetDelegateForFunctionPointer<T>(NativeLibrary.GetExport(_library, name));
}
