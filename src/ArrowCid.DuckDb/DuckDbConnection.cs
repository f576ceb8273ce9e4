using System.Runtime.InteropServices;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.CData;
using ArrowCid.Arrow.Types;

namespace ArrowCid.DuckDb;

/// <summary>An in-memory DuckDB database with one connection: run SQL, hand it record batches through the C Stream Interface.</summary>
internal sealed class DuckDbConnection : IDisposable
{
    private readonly DuckDbNative _api;
    private readonly List<nint> _streams = [];
    private nint _database;
    private nint _connection;

    public DuckDbConnection(DuckDbNative api)
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
    public long Execute(string sql)
    {
        nint result = Marshal.AllocHGlobal(DuckDbNative.ResultSize);
        Marshal.Copy(new byte[DuckDbNative.ResultSize], 0, result, DuckDbNative.ResultSize);
        try
        {
            if (_api.Query(_connection, sql, result) != DuckDbNative.Success)
            {
                throw new IOException($"DuckDB: {Marshal.PtrToStringUTF8(_api.ResultError(result)) ?? "unknown error"} (in: {sql})");
            }

            return _api.ValueInt64(result, 0, 0);
        }
        finally
        {
            _api.DestroyResult(result);
            Marshal.FreeHGlobal(result);
        }
    }

    /// <summary>Registers <paramref name="batches"/> (not disposed) as the view <paramref name="name"/>, scanned through an exported <c>ArrowArrayStream</c>.</summary>
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
