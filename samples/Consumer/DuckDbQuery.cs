using System.Globalization;
using ArrowCid.Arrow.Arrays;
using ArrowCid.DuckDb;

namespace ArrowCid.Samples.Consumer;

/// <summary>
/// Hands an attached batch to DuckDB through the C Stream Interface and runs SQL on it: DuckDB
/// reads the buffers in the shared-memory mapping directly (the export holds its own reference on
/// the segment's lease). libduckdb.so comes with the DuckDB.NET.Data.Full package (ArrowCid.DuckDb).
/// </summary>
internal sealed class DuckDbQuery : IDisposable
{
    private readonly DuckDbConnection _duck;
    private int _tables;

    private DuckDbQuery(DuckDbConnection duck) => _duck = duck;

    /// <summary>A DuckDB session, or null when the library is not found.</summary>
    public static DuckDbQuery? TryOpen() => DuckDbConnection.TryOpen() is { } duck ? new DuckDbQuery(duck) : null;

    /// <summary>Runs <paramref name="sql"/> (which names the batch <c>batch</c>) and returns the first row as text.</summary>
    public string QueryFirstRow(RecordBatch batch, string sql)
    {
        string table = "batch_" + (++_tables).ToString(CultureInfo.InvariantCulture);
        _duck.RegisterArrowStream(table, batch.Schema, [batch]);
        return _duck.QueryFirstRow(sql.Replace("batch", table, StringComparison.Ordinal));
    }

    public void Dispose() => _duck.Dispose();
}
