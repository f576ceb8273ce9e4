using System.Globalization;
using System.Runtime.InteropServices;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.CData;
using ArrowCid.DuckDb;

namespace ArrowCid.Samples.Consumer;

/// <summary>
/// Hands an attached batch to DuckDB through the C Stream Interface and runs SQL on it: DuckDB
/// reads the buffers in the shared-memory mapping directly (the export holds its own reference on
/// the segment's lease). Only when libduckdb.so from interop/node/node_modules is there.
/// </summary>
internal sealed class DuckDbQuery : IDisposable
{
    private readonly DuckDbNative _api;
    private nint _database;
    private nint _connection;
    private int _tables;

    private DuckDbQuery(DuckDbNative api)
    {
        _api = api;
        if (api.Open(0, out _database) != DuckDbNative.Success || api.Connect(_database, out _connection) != DuckDbNative.Success)
        {
            throw new InvalidOperationException("could not open an in-memory DuckDB database");
        }
    }

    /// <summary>A DuckDB session, or null when the library is not found.</summary>
    public static DuckDbQuery? TryOpen()
    {
        string? path = Environment.GetEnvironmentVariable("ARROWCID_LIBDUCKDB") is { Length: > 0 } fromEnvironment && File.Exists(fromEnvironment)
            ? fromEnvironment
            : DuckDbNative.FindInRepository(AppContext.BaseDirectory) ?? DuckDbNative.FindInRepository(Environment.CurrentDirectory);
        return path is null ? null : new DuckDbQuery(DuckDbNative.Load(path));
    }

    /// <summary>Runs <paramref name="sql"/> (which names the batch <c>batch</c>) and returns the first row as text.</summary>
    public string QueryFirstRow(RecordBatch batch, string sql)
    {
        string table = "batch_" + (++_tables).ToString(CultureInfo.InvariantCulture);
        // DuckDB keeps the stream structure for the connection's lifetime: it is never freed here.
        nint stream = Marshal.AllocHGlobal(Marshal.SizeOf<CArrowArrayStream>());
        Marshal.Copy(new byte[Marshal.SizeOf<CArrowArrayStream>()], 0, stream, Marshal.SizeOf<CArrowArrayStream>());
        CArrowArrayStreamExporter.Export(batch.Schema, [batch], stream);
        if (_api.ArrowScan(_connection, table, stream) != DuckDbNative.Success)
        {
            throw new InvalidOperationException("DuckDB refused the Arrow stream");
        }

        nint result = Marshal.AllocHGlobal(DuckDbNative.ResultSize);
        Marshal.Copy(new byte[DuckDbNative.ResultSize], 0, result, DuckDbNative.ResultSize);
        try
        {
            if (_api.Query(_connection, sql.Replace("batch", table, StringComparison.Ordinal), result) != DuckDbNative.Success)
            {
                throw new InvalidOperationException("DuckDB: " + Marshal.PtrToStringUTF8(_api.ResultError(result)));
            }

            int columns = (int)_api.ColumnCount(result);
            return string.Join(", ", Enumerable.Range(0, columns).Select(c =>
                $"{Marshal.PtrToStringUTF8(_api.ColumnName(result, (ulong)c))}={_api.Varchar(result, c, 0) ?? "NULL"}"));
        }
        finally
        {
            _api.DestroyResult(result);
            Marshal.FreeHGlobal(result);
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
    }
}
