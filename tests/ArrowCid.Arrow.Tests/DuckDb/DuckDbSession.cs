using System.Runtime.InteropServices;
using ArrowCid.DuckDb;

namespace ArrowCid.Arrow.Tests.DuckDb;

/// <summary>An in-memory DuckDB database and one connection, with helpers for queries.</summary>
internal sealed class DuckDbSession : IDisposable
{
    private static readonly Lazy<(DuckDbNative? Api, string? Path)> Library = new(() =>
    {
        string? path = DuckDbNative.Beside(AppContext.BaseDirectory);
        return path is null ? (null, null) : (DuckDbNative.Load(path), path);
    });

    private nint _database;
    private nint _connection;

    private DuckDbSession(DuckDbNative api)
    {
        Api = api;
        if (api.Open(0, out _database) != DuckDbNative.Success || api.Connect(_database, out _connection) != DuckDbNative.Success)
        {
            throw new InvalidOperationException("could not open an in-memory DuckDB database");
        }
    }

    public DuckDbNative Api { get; }

    public nint Connection => _connection;

    /// <summary>A session, or null (with the reason written to <paramref name="log"/>) when libduckdb.so is not there.</summary>
    public static DuckDbSession? TryOpen(Action<string> log)
    {
        var (api, path) = Library.Value;
        if (api is null)
        {
            log("SKIPPED: libduckdb.so not found beside the tests (the DuckDB.NET.Data.Full package puts it there)");
            return null;
        }

        log("DuckDB: " + path);
        return new DuckDbSession(api);
    }

    /// <summary>Runs <paramref name="sql"/>; the returned result must be disposed.</summary>
    public QueryResult Query(string sql)
    {
        var result = new QueryResult(Api);
        if (Api.Query(_connection, sql, result.Pointer) != DuckDbNative.Success)
        {
            string message = Marshal.PtrToStringUTF8(Api.ResultError(result.Pointer)) ?? "unknown error";
            result.Dispose();
            throw new InvalidOperationException($"DuckDB: {message}\n  in: {sql}");
        }

        return result;
    }

    public long Int64(string sql)
    {
        using var r = Query(sql);
        return Api.ValueInt64(r.Pointer, 0, 0);
    }

    public double Double(string sql)
    {
        using var r = Query(sql);
        return Api.ValueDouble(r.Pointer, 0, 0);
    }

    public string? Text(string sql)
    {
        using var r = Query(sql);
        return Api.Varchar(r.Pointer, 0, 0);
    }

    public void Dispose()
    {
        if (_connection != 0)
        {
            Api.Disconnect(ref _connection);
        }

        if (_database != 0)
        {
            Api.Close(ref _database);
        }
    }

    /// <summary>A <c>duckdb_result</c> in native memory.</summary>
    internal sealed class QueryResult(DuckDbNative api) : IDisposable
    {
        public nint Pointer { get; private set; } = Alloc();

        public DuckDbResult Value => Marshal.PtrToStructure<DuckDbResult>(Pointer);

        private static nint Alloc()
        {
            nint p = Marshal.AllocHGlobal(DuckDbNative.ResultSize);
            Marshal.Copy(new byte[DuckDbNative.ResultSize], 0, p, DuckDbNative.ResultSize);
            return p;
        }

        public void Dispose()
        {
            if (Pointer != 0)
            {
                api.DestroyResult(Pointer);
                Marshal.FreeHGlobal(Pointer);
                Pointer = 0;
            }
        }
    }
}
