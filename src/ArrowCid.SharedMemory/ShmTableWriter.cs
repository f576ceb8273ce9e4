using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.SharedMemory;

/// <summary>
/// Publishes one table into a <see cref="ShmStore"/> batch by batch, as content-defined chunks
/// (docs/canonical-form.md §7): each <see cref="Add"/> feeds the producer's rows to a
/// <see cref="TableChunker"/> and publishes every chunk they complete as a segment (an arena slot
/// or a file of at most 1 MiB, written once, not announced), and every manifest tree node that
/// became final as a small node file. <see cref="Finish"/> publishes the rest and the root and
/// puts one notice for the table on the feed. A table of one chunk is that chunk: its raw CID,
/// announced exactly as a single-batch publish; a larger one is named by its tree's root, the CID
/// a repository put of the same rows gives. Not thread-safe: one writer per table.
/// </summary>
public sealed class ShmTableWriter : IDisposable
{
    private readonly ShmStore _store;
    private readonly IReadOnlyDictionary<string, string>? _tags;
    private readonly byte[] _encodedTags;
    private readonly ChunkedTableWriter _table;
    private ShmStore.SegmentPublish _firstChunk;
    private bool _anyChunk;
    private bool _closed;

    internal ShmTableWriter(ShmStore store, Schema schema, IReadOnlyDictionary<string, string>? tags, byte[] encodedTags, bool detach)
    {
        _store = store;
        _tags = tags;
        _encodedTags = encodedTags;
        _table = new ChunkedTableWriter(schema, new Sink(this), detach);
    }

    /// <summary>The table's schema (metadata in canonical order).</summary>
    public Schema Schema => _table.Schema;

    /// <summary>The chunks published so far, in row order.</summary>
    public IReadOnlyList<TableTreeEntry> Chunks => _table.Chunks;

    /// <summary>
    /// Adds the next rows: every chunk they complete is published before this returns. The rows
    /// after the last cut are copied and held for the next chunk, so the caller may dispose the
    /// batch once this returns.
    /// </summary>
    /// <param name="batch">Rows of the table's schema.</param>
    /// <exception cref="ArgumentException">The batch's schema is not the table's; nothing of it was published.</exception>
    /// <exception cref="ShmStoreFullException">The capacity cannot take a chunk; the writer is then disposed (the table cannot be finished).</exception>
    public void Add(RecordBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        Feed(table => table.Add(batch));
    }

    /// <summary>
    /// Adds every batch of a stream as <see cref="Add"/> does for each — the same chunks, tree and
    /// CID — but spread over the cores (<see cref="ChunkedTableWriter.AddAll"/>): batches are
    /// normalised and row-hashed on workers while this thread cuts chunks in order, and chunks are
    /// encoded, hashed and written into the store on workers, linked into the tree in row order.
    /// </summary>
    /// <param name="batches">Rows of the table's schema, in order.</param>
    /// <exception cref="ArgumentException">A batch's schema is not the table's (the batches before it are added).</exception>
    /// <exception cref="ShmStoreFullException">The capacity cannot take a chunk; the writer is then disposed (the table cannot be finished).</exception>
    public void AddAll(IEnumerable<RecordBatch> batches)
    {
        ArgumentNullException.ThrowIfNull(batches);
        Feed(table => table.AddAll(batches));
    }

    /// <summary>Hands rows to the table writer; any failure but a wrong schema ends the writer.</summary>
    private void Feed(Action<ChunkedTableWriter> add)
    {
        ThrowIfClosed();
        try
        {
            add(_table);
        }
        catch (Exception e) when (e is not ArgumentException { ParamName: "schema" })
        {
            // A chunk the tree lacks (the store was full, say): the table cannot be finished.
            Dispose();
            throw;
        }
    }

    /// <summary>
    /// Publishes the last chunks and the manifest's remaining nodes (the root last), then announces
    /// the table: one notice with its CID, rows and chunk bytes — unless the table was there
    /// already (a one-chunk table whose segment existed, or a root node that existed), which is
    /// announced no more than a republished batch.
    /// </summary>
    /// <returns>The table's CID, its root node's file (or the chunk's segment), chunk bytes, rows, chunks and the notice's sequence (0 when nothing was announced).</returns>
    /// <exception cref="ShmStoreFullException">The capacity cannot take the table: its chunks and nodes do not fit together.</exception>
    public ShmPublishResult Finish()
    {
        ThrowIfClosed();
        _closed = true;
        try
        {
            var tree = _table.Finish();
            if (tree.RootBlock is not { } root)
            {
                // One chunk: exactly what a single-batch publish of its rows gives and announces.
                var only = _firstChunk.Result;
                long sequence = _firstChunk.Created ? _store.Announce(only.Cid, only.Bytes, only.Rows, _encodedTags) : 0;
                return only with { Sequence = sequence };
            }

            bool created = _store.PublishNode(root);
            EnsureComplete(root.Cid);
            long announced = created ? _store.Announce(root.Cid, tree.Bytes, tree.Rows, _encodedTags) : 0;
            return new ShmPublishResult(root.Cid, _store.Layout, tree.Bytes, tree.Rows, announced) { Chunks = _table.Chunks.Count };
        }
        finally
        {
            _table.Dispose();
        }
    }

    /// <summary>Stops without announcing: the chunks published so far stay in the store (eviction may take them).</summary>
    public void Dispose()
    {
        if (!_closed)
        {
            _closed = true;
            _table.Dispose();
        }
    }

    private TableTreeEntry PublishChunk(TableChunk chunk) => Committed(_store.PublishChunk(chunk, _tags, _encodedTags), chunk.Rows);

    /// <summary>A chunk published, next in row order: the first one is remembered (a one-chunk table is announced as that chunk).</summary>
    private TableTreeEntry Committed(ShmStore.SegmentPublish published, long rows)
    {
        if (!_anyChunk)
        {
            _firstChunk = published;
            _anyChunk = true;
        }

        return new TableTreeEntry(published.Result.Cid, rows, published.Result.Bytes);
    }

    // Under a capacity, publishing later chunks may have evicted earlier ones (least recently used
    // first, so only when the table alone outgrows the capacity): a table missing a part is refused.
    private void EnsureComplete(Cid root)
    {
        if (_store.Options.CapacityBytes is not { } capacity)
        {
            return;
        }

        foreach (var chunk in _table.Chunks)
        {
            if (!_store.Contains(chunk.Cid))
            {
                throw new ShmStoreFullException($"table {root}: chunk {chunk.Cid} was evicted while the table was published: its {_table.Chunks.Sum(c => c.Bytes)} bytes of chunks do not fit the capacity of {capacity}");
            }
        }
    }

    private void ThrowIfClosed()
    {
        if (_closed)
        {
            throw new InvalidOperationException("the table writer is finished or disposed");
        }
    }

    /// <summary>
    /// The writer's segments as the table writer hands them over: chunks as segments (not
    /// announced; written on any thread, the store taking concurrent publishers), nodes as node files.
    /// </summary>
    private sealed class Sink(ShmTableWriter writer) : IPipelinedChunkSink
    {
        public TableTreeEntry StoreChunk(TableChunk chunk) => writer.PublishChunk(chunk);

        public void StoreNode(TableTreeBlock node) => writer._store.PublishNode(node);

        public PendingChunk WriteChunk(TableChunk chunk)
        {
            var published = writer._store.PublishChunk(chunk, writer._tags, writer._encodedTags);
            return new PendingChunk(new TableTreeEntry(published.Result.Cid, chunk.Rows, published.Result.Bytes), new Written(published));
        }

        public TableTreeEntry CommitChunk(PendingChunk written)
        {
            ArgumentNullException.ThrowIfNull(written);
            using (written)
            {
                return writer.Committed(((Written)written.State!).Published, written.Entry.Rows);
            }
        }

        /// <summary>What a chunk's write did, carried to its commit; nothing to release (the segment stays in the store).</summary>
        private sealed class Written(ShmStore.SegmentPublish published) : IDisposable
        {
            public ShmStore.SegmentPublish Published { get; } = published;

            public void Dispose()
            {
            }
        }
    }
}
