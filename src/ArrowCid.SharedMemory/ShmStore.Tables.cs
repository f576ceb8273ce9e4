using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.IO;
using ArrowCid.Content;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.SharedMemory;

// Tables: a chunked table opened by its CID (manifest nodes read and verified) and attached as its chunks, each zero-copy.
public sealed partial class ShmStore
{
    /// <summary>
    /// Opens a table by its CID: for a raw CID (a one-chunk table) its one batch is attached once
    /// (verified) for its schema and rows; for a manifest root the root's node file is read and
    /// checked — against its CID, its size and the format — for the schema and totals, and the
    /// nodes below it are read and checked the same way (and against their parent's entry) when
    /// <see cref="ShmTable.Chunks"/> is first asked for, so that list is the producer's. No chunk
    /// of a larger table is attached.
    /// </summary>
    /// <param name="cid">A raw CID (bafkrei…) or a table root (bafyrei…), sha2-256.</param>
    /// <returns>The table's schema, rows, chunk bytes, and (on first use) chunks in row order and manifest nodes.</returns>
    /// <exception cref="ShmSegmentNotFoundException">The batch, or the root, is not in the store.</exception>
    /// <exception cref="ShmSegmentCorruptedException">The root does not hash to its CID or is not a valid manifest node (or the batch is refused).</exception>
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

        // A root opened before is immutable content, checked when it was read: while its file is
        // still in the store, the table is the one read then, so reopening a table costs the same
        // whatever its size. Whether the file is still there: no segment file removed since the
        // last look (the control block counts every removal) says so without a stat; a stat is
        // made when one was, and at least once a second with the eviction stamp (a file removed
        // by other means than a store's, a whole store deleted, is then noticed too).
        if (_openedTables.TryGetValue(cid, out var opened))
        {
            long removed = _control.RemovedFiles;
            long now = Environment.TickCount64;
            bool stampDue = now - Volatile.Read(ref opened.StampedAt) >= 1000;
            if (removed == Volatile.Read(ref opened.RemovedFilesSeen) && !stampDue)
            {
                return opened.Table;
            }

            if (File.Exists(opened.RootPath))
            {
                Volatile.Write(ref opened.RemovedFilesSeen, removed);
                if (stampDue)
                {
                    Volatile.Write(ref opened.StampedAt, now);
                    Touch(opened.RootPath);
                }

                return opened.Table;
            }

            _openedTables.TryRemove(cid, out _);
        }

        // Read before the root: a removal after this is seen at the next open.
        long removedBefore = _control.RemovedFiles;
        var rootBytes = ReadNode(cid, cid);
        var manifest = Corrupted(cid, () => TableManifest.Open(cid, node => node.Equals(cid) ? rootBytes : ReadNode(node, cid)));
        var table = new ShmTable(cid, manifest.Schema, manifest.Rows, manifest.Bytes, () =>
        {
            // Nodes in the order read, the root first; the root's bytes are the ones checked above.
            var nodes = new List<Cid>();
            var walk = TableManifest.Open(cid, node =>
            {
                nodes.Add(node);
                return node.Equals(cid) ? rootBytes : ReadNode(node, cid);
            });
            var chunks = Corrupted(cid, () => walk.Chunks().ToList());
            return (chunks, nodes.ToArray());
        });
        if (_openedTables.Count >= OpenedTablesKept)
        {
            _openedTables.Clear();
        }

        _openedTables[cid] = new OpenedTable(table, _layout.SegmentPath(cid)) { StampedAt = Environment.TickCount64, RemovedFilesSeen = removedBefore };
        return table;
    }

    // Tables this store opened, by root CID (see OpenTable); cleared when it holds this many.
    private const int OpenedTablesKept = 4096;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<Cid, OpenedTable> _openedTables = new();

    private sealed class OpenedTable(ShmTable table, string rootPath)
    {
        public ShmTable Table { get; } = table;

        public string RootPath { get; } = rootPath;

        // When this store last stamped the root's atime (Environment.TickCount64).
        public long StampedAt;

        // The control block's count of removed segment files when the root was last seen in place.
        public long RemovedFilesSeen;
    }

    /// <summary>
    /// Attaches a table in what a one-chunk table costs, whatever its size: <see cref="OpenTable"/>
    /// (the root read and checked), and each chunk attached when the result's
    /// <see cref="ShmAttachedTable.Batches"/> first reaches it — zero copy (its buffers point into
    /// its mapped segment or arena slot), verified against its CID per
    /// <see cref="ShmStoreOptions.Verification"/> then, under its own lease, and checked against
    /// its manifest entry (rows, bytes) and the table's schema. Dispose the result to let the
    /// attached chunks go. To walk a table once, <see cref="AttachChunks(Cid)"/> hands each chunk
    /// to the caller to dispose.
    /// </summary>
    /// <param name="cid">The table's CID (a batch's raw CID is a one-chunk table, attached here).</param>
    /// <returns>The table; its chunks attach as they are reached.</returns>
    /// <exception cref="ShmSegmentNotFoundException">The root (or a one-chunk table's batch) is not in the store.</exception>
    /// <exception cref="ShmSegmentCorruptedException">The root (or the batch) is refused.</exception>
    public ShmAttachedTable AttachTable(Cid cid)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(cid);
        if (cid.Codec == Multicodec.Raw)
        {
            // One chunk: attached once, its schema and rows read from the batch itself.
            var only = TryAttach(cid, out long length) ?? throw new ShmSegmentNotFoundException(cid);
            return new ShmAttachedTable(ShmTable.OfOneChunk(cid, only, length), _ => only, only);
        }

        var table = OpenTable(cid);
        return new ShmAttachedTable(table, index => AttachChunk(table, index));
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

    /// <summary>A manifest that breaks the format is a corrupted segment of the store.</summary>
    private static T Corrupted<T>(Cid table, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (ContentFormatException e)
        {
            throw new ShmSegmentCorruptedException($"table {table}: a manifest node is refused: {e.Message}", e);
        }
    }

    // A manifest node's bytes, read from its file (nodes are small and parsed into objects anyway:
    // no mapping, no lease); the manifest checks them against their CID. One open, one fstat, one
    // read, and the eviction stamp through the same handle (no second path lookup).
    private ReadOnlyMemory<byte> ReadNode(Cid node, Cid table)
    {
        string path = _layout.SegmentPath(node);
        byte[] bytes;
        try
        {
            using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            long length = RandomAccess.GetLength(file);
            if (length > ChunkingRule.MaxBlockBytes)
            {
                throw new ShmSegmentCorruptedException($"{path}: {length} bytes, more than the {ChunkingRule.MaxBlockBytes} a manifest node may have (table {table})");
            }

            bytes = new byte[length];
            int read = PositionalRead.Fill(file, bytes, 0);
            if (read != bytes.Length)
            {
                throw new ShmSegmentCorruptedException($"{path}: shrank while read ({read} of {length} bytes; table {table})");
            }

            Touch(file);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ShmSegmentNotFoundException(node, $"table {table}: manifest node {node}: not in the shared-memory store (not published here, or evicted)");
        }

        // Not hashed here: TableManifest checks every node it is given against its CID.
        return bytes;
    }
}
