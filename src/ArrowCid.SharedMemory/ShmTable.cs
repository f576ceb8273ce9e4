using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.Datasets;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.SharedMemory;

/// <summary>A table in a <see cref="ShmStore"/>, opened by its CID (<see cref="ShmStore.OpenTable"/>): its chunk list, read from verified manifest nodes.</summary>
public sealed class ShmTable
{
    internal ShmTable(Cid cid, Schema schema, long rows, long bytes, IReadOnlyList<TableTreeEntry> chunks, IReadOnlyList<Cid> nodes)
    {
        Cid = cid;
        Schema = schema;
        Rows = rows;
        Bytes = bytes;
        Chunks = chunks;
        Nodes = nodes;
    }

    /// <summary>The table's CID: a raw CID for a one-chunk table, else its manifest tree's root.</summary>
    public Cid Cid { get; }

    /// <summary>The table's schema.</summary>
    public Schema Schema { get; }

    /// <summary>Rows of the table.</summary>
    public long Rows { get; }

    /// <summary>Bytes of its chunk segments.</summary>
    public long Bytes { get; }

    /// <summary>Its chunks in row order: raw CID, rows, segment bytes.</summary>
    public IReadOnlyList<TableTreeEntry> Chunks { get; }

    /// <summary>Its manifest nodes as read, the root first (none for a one-chunk table).</summary>
    public IReadOnlyList<Cid> Nodes { get; }

    internal static ShmTable OfOneChunk(Cid cid, RecordBatch batch, long length) =>
        new(cid, batch.Schema, batch.Length, length, [new TableTreeEntry(cid, batch.Length, length)], []);

    /// <summary>Whether a chunk's schema is the table's (metadata order aside): compared by their canonical Schema messages.</summary>
    internal bool HasSchemaOf(RecordBatch chunk)
    {
        if (Nodes.Count == 0)
        {
            // A one-chunk table's schema is its chunk's own.
            return true;
        }

        return DatasetSchemaMessage.EncodeShared(chunk.Schema).Span.SequenceEqual(DatasetSchemaMessage.EncodeShared(Schema).Span);
    }
}

/// <summary>
/// A table attached by <see cref="ShmStore.AttachTable"/>: its chunks as batches whose buffers
/// point into their segments, each under its own lease. Dispose it to release them all.
/// </summary>
public sealed class ShmAttachedTable : IDisposable
{
    private readonly List<RecordBatch> _batches;

    internal ShmAttachedTable(ShmTable table, List<RecordBatch> batches)
    {
        Table = table;
        _batches = batches;
    }

    /// <summary>The table: CID, schema, rows, chunk list.</summary>
    public ShmTable Table { get; }

    /// <summary>The attached chunks, in row order.</summary>
    public IReadOnlyList<RecordBatch> Batches => _batches;

    /// <summary>Releases every chunk's lease (each batch also outlives this while exported or referenced).</summary>
    public void Dispose()
    {
        foreach (var batch in _batches)
        {
            batch.Dispose();
        }

        _batches.Clear();
    }
}
