using System.Globalization;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Chunking;

/// <summary>
/// A table's tree links more chunks than the reader walks for one request
/// (<see cref="TableManifest.CheckChunks"/>, a node's <c>max_table_chunks</c>). The table may be
/// well formed: a tree can link one node thousands of times, so a few kilobytes of manifest
/// describe billions of chunks. Nodes answer it as an invalid request (INVALID_ARGUMENT, 400).
/// </summary>
public sealed class TableWalkLimitException : Exception
{
    /// <summary>Names the table, the limit and the rows the table's root states.</summary>
    /// <param name="table">The table's CID.</param>
    /// <param name="maxChunks">The limit it passed.</param>
    /// <param name="rows">The rows its root states, when known.</param>
    public TableWalkLimitException(Cid table, long maxChunks, long? rows)
        : base(string.Create(CultureInfo.InvariantCulture,
            $"table {table} links more than {maxChunks} chunks{(rows is { } r ? $" ({r} rows in all)" : string.Empty)}: over the limit max_table_chunks = {maxChunks} of what one request may walk"))
    {
        Table = table;
        MaxChunks = maxChunks;
    }

    /// <summary>Creates the exception with a default message.</summary>
    public TableWalkLimitException()
        : base("A table links more chunks than one request may walk.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What passed the limit.</param>
    public TableWalkLimitException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What passed the limit.</param>
    /// <param name="innerException">The cause.</param>
    public TableWalkLimitException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The table's CID (null when made without one).</summary>
    public Cid? Table { get; }

    /// <summary>The limit it passed.</summary>
    public long MaxChunks { get; }
}
