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

    /// <summary>Closes the connection and the database, and frees the streams handed to it.</summary>
    public void Dispose()
    {
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
