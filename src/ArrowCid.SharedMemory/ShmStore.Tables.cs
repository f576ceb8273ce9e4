using ArrowCid.Arrow.Arrays;
using ArrowCid.Content;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.SharedMemory;

// Tables: a chunked table opened by its CID (manifest nodes read and verified) and attached as its chunks, each zero-copy.
public sealed partial class ShmStore
{
    /// <summary>
    /// Opens a table by its CID: for a raw CID (a one-chunk table) its one batch is attached once
    /// (verified) for its schema and rows; for a manifest root every node of its tree is read from
    /// its node file and checked — against its CID, its size, the format and its parent's entry —
    /// so the returned chunk list is the producer's. No chunk of a larger table is attached yet.
    /// </summary>
    /// <param name="cid">A raw CID (bafkrei…) or a table root (bafyrei…), sha2-256.</param>
    /// <returns>The table's schema, rows, chunk bytes, chunks in row order and manifest nodes.</returns>
    /// <exception cref="ShmSegmentNotFoundException">The batch, or a node of the tree, is not in the store.</exception>
    /// <exception cref="ShmSegmentCorruptedException">A node does not hash to its CID or is not a valid manifest node (or the batch is refused).</exception>
    /// <exception cref="ArgumentException">Neither a raw nor a dag-cbor sha2-256 CID.</exception>
    public ShmTable OpenTable(Cid cid)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(cid);
        if (cid.Codec == Multicodec.Raw)
        {
            using var batch = TryAttach(cid, out long length) ?? throw new ShmSegmentNotFoundException(cid);
            return ShmTable.OfOneChunk(cid, batch, length);
        }

        if (cid.Codec != Multicodec.DagCbor || cid.Version != 1 || cid.Hash.Code != Multicodec.Sha2256)
        {
            throw new ArgumentException($"{cid}: a table is a raw (bafkrei…) or dag-cbor (bafyrei…) sha2-256 CIDv1", nameof(cid));
        }

        var nodes = new List<Cid>();
        try
        {
            var manifest = TableManifest.Open(cid, node =>
            {
                var bytes = ReadNode(node, cid);
                nodes.Add(node);
                return bytes;
            });
            var chunks = manifest.Chunks().ToList();
            return new ShmTable(cid, manifest.Schema, manifest.Rows, manifest.Bytes, chunks, nodes);
        }
        catch (ContentFormatException e)
        {
            throw new ShmSegmentCorruptedException($"table {cid}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Attaches every chunk of a table, in row order, each as <see cref="Attach"/> does: zero copy
    /// (its buffers point into its mapped segment or arena slot), verified against its CID per
    /// <see cref="ShmStoreOptions.Verification"/>, under its own lease; and each checked against
    /// its manifest entry (rows, bytes) and the table's schema. Dispose the result to let them go.
    /// A table of many chunks holds a descriptor and a mapping per chunk: to walk one, prefer
    /// <see cref="AttachChunks(Cid)"/>.
    /// </summary>
    /// <param name="cid">The table's CID (a batch's raw CID is a one-chunk table).</param>
    /// <returns>The table and its attached chunks.</returns>
    /// <exception cref="ShmSegmentNotFoundException">A chunk or node is not in the store (evicted, or never published here).</exception>
    /// <exception cref="ShmSegmentCorruptedException">A chunk or node is refused, or disagrees with the manifest.</exception>
    public ShmAttachedTable AttachTable(Cid cid)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(cid);
        if (cid.Codec == Multicodec.Raw)
        {
            // One chunk: attached once, its schema and rows read from the batch itself.
            var only = TryAttach(cid, out long length) ?? throw new ShmSegmentNotFoundException(cid);
            return new ShmAttachedTable(ShmTable.OfOneChunk(cid, only, length), [only]);
        }

        var table = OpenTable(cid);
        var batches = new List<RecordBatch>(table.Chunks.Count);
        try
        {
            foreach (var batch in AttachChunks(table))
            {
                batches.Add(batch);
            }
        }
        catch
        {
            batches.ForEach(b => b.Dispose());
            throw;
        }

        return new ShmAttachedTable(table, batches);
    }

    /// <summary>
    /// The chunks of a table attached one at a time as the enumeration reaches them (zero copy,
    /// verified, leased as <see cref="AttachTable"/> describes); the caller disposes each. The
    /// manifest tree is read and verified here, before the first chunk.
    /// </summary>
    /// <param name="cid">The table's CID.</param>
    /// <returns>The chunk batches in row order.</returns>
    /// <exception cref="ShmSegmentNotFoundException">A node (here) or a chunk (when reached) is not in the store.</exception>
    /// <exception cref="ShmSegmentCorruptedException">A node or chunk is refused.</exception>
    public IEnumerable<RecordBatch> AttachChunks(Cid cid)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(cid);
        return cid.Codec == Multicodec.Raw ? AttachOne(cid) : AttachChunks(OpenTable(cid));

        IEnumerable<RecordBatch> AttachOne(Cid one)
        {
            yield return Attach(one);
        }
    }

    /// <summary>The chunks of an opened table, attached one at a time as the enumeration reaches them; the caller disposes each.</summary>
    /// <param name="table">A table <see cref="OpenTable"/> gave.</param>
    /// <returns>The chunk batches in row order.</returns>
    public IEnumerable<RecordBatch> AttachChunks(ShmTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        return Walk();

        IEnumerable<RecordBatch> Walk()
        {
            for (int i = 0; i < table.Chunks.Count; i++)
            {
                yield return AttachChunk(table, i);
            }
        }
    }

    /// <summary>
    /// Removes a table: every chunk and manifest node of it that no lease holds (a chunk another
    /// table shares goes too), the root last, so a table is never left named without its parts
    /// while the root stays. For a raw CID, as <see cref="Remove"/>.
    /// </summary>
    /// <param name="cid">The table's CID.</param>
    /// <returns>True when every part was removed; false when some were leased (they stay) or the table is not here.</returns>
    /// <exception cref="ShmSegmentCorruptedException">A node of the tree is refused (nothing was removed).</exception>
    public bool RemoveTable(Cid cid)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(cid);
        if (cid.Codec == Multicodec.Raw)
        {
            return Remove(cid);
        }

        ShmTable table;
        try
        {
            table = OpenTable(cid);
        }
        catch (ShmSegmentNotFoundException)
        {
            return false;
        }

        bool all = true;
        foreach (var part in table.Chunks.Select(c => c.Cid).Distinct().Concat(table.Nodes.Reverse()))
        {
            all &= Remove(part);
        }

        return all;
    }

    private RecordBatch AttachChunk(ShmTable table, int index)
    {
        var entry = table.Chunks[index];
        var batch = TryAttach(entry.Cid, out long length)
            ?? throw new ShmSegmentNotFoundException(entry.Cid, $"table {table.Cid}: chunk {index} ({entry.Cid}): no shared-memory segment holds it (not published here, or evicted)");
        if (batch.Length != entry.Rows || length != entry.Bytes || !table.HasSchemaOf(batch))
        {
            string found = $"{batch.Length} rows, {length} bytes";
            batch.Dispose();
            throw new ShmSegmentCorruptedException($"table {table.Cid}: chunk {index} ({entry.Cid}) has {found} or another schema where its manifest says {entry.Rows} rows, {entry.Bytes} bytes and the table's schema");
        }

        return batch;
    }

    // A manifest node's bytes, read from its file (nodes are small and parsed into objects anyway:
    // no mapping, no lease) and checked against its CID.
    private ReadOnlyMemory<byte> ReadNode(Cid node, Cid table)
    {
        string path = _layout.SegmentPath(node);
        byte[] bytes;
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
            if (file.Length > ChunkingRule.MaxBlockBytes)
            {
                throw new ShmSegmentCorruptedException($"{path}: {file.Length} bytes, more than the {ChunkingRule.MaxBlockBytes} a manifest node may have (table {table})");
            }

            bytes = new byte[file.Length];
            file.ReadExactly(bytes);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ShmSegmentNotFoundException(node, $"table {table}: manifest node {node}: not in the shared-memory store (not published here, or evicted)");
        }

        if (!node.Verify(bytes))
        {
            throw new ShmSegmentCorruptedException($"{path}: the {bytes.Length} bytes do not hash to {node} (a corrupted manifest node of table {table} refused)");
        }

        Touch(path);
        return bytes;
    }
}
