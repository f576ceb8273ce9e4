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
    private readonly bool _detach;
    private readonly TableChunker _chunker;
    private readonly TableTreeBuilder _tree;
    private readonly List<TableTreeEntry> _chunks = [];
    private ShmStore.SegmentPublish _firstChunk;
    private bool _closed;

    internal ShmTableWriter(ShmStore store, Schema schema, IReadOnlyDictionary<string, string>? tags, byte[] encodedTags, bool detach)
    {
        _store = store;
        _tags = tags;
        _encodedTags = encodedTags;
        _detach = detach;
        _chunker = new TableChunker(schema);
        _tree = new TableTreeBuilder(_chunker.Schema);
    }

    /// <summary>The table's schema (metadata in canonical order).</summary>
    public Schema Schema => _chunker.Schema;

    /// <summary>The chunks published so far, in row order.</summary>
    public IReadOnlyList<TableTreeEntry> Chunks => _chunks;

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
        ThrowIfClosed();
        var completed = _chunker.Add(batch);
        try
        {
            PublishChunks(completed);
            if (_detach)
            {
                _chunker.Detach();
            }
        }
        catch
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
            PublishChunks(_chunker.Finish());
            var tree = _tree.Finish();
            if (tree.RootBlock is not { } root)
            {
                // One chunk: exactly what a single-batch publish of its rows gives and announces.
                var only = _firstChunk.Result;
                long sequence = _firstChunk.Created ? _store.Announce(only.Cid, only.Bytes, only.Rows, _encodedTags) : 0;
                return only with { Sequence = sequence };
            }

            bool created = false;
            foreach (var node in tree.Blocks)
            {
                bool written = _store.PublishNode(node);
                if (node.Cid == root.Cid)
                {
                    created = written;
                }
            }

            EnsureComplete(root.Cid);
            long announced = created ? _store.Announce(root.Cid, tree.Bytes, tree.Rows, _encodedTags) : 0;
            return new ShmPublishResult(root.Cid, _store.PathOf(root.Cid), tree.Bytes, tree.Rows, announced) { Chunks = _chunks.Count };
        }
        finally
        {
            _chunker.Dispose();
        }
    }

    /// <summary>Stops without announcing: the chunks published so far stay in the store (eviction may take them).</summary>
    public void Dispose()
    {
        if (!_closed)
        {
            _closed = true;
            _chunker.Dispose();
        }
    }

    private void PublishChunks(IReadOnlyList<TableChunk> chunks)
    {
        foreach (var chunk in chunks)
        {
            var published = _store.PublishChunk(chunk, _tags, _encodedTags);
            if (_chunks.Count == 0)
            {
                _firstChunk = published;
            }

            var entry = new TableTreeEntry(published.Result.Cid, chunk.Rows, published.Result.Bytes);
            _chunks.Add(entry);
            foreach (var node in _tree.Add(entry))
            {
                _store.PublishNode(node);
            }
        }
    }

    // Under a capacity, publishing later chunks may have evicted earlier ones (least recently used
    // first, so only when the table alone outgrows the capacity): a table missing a part is refused.
    private void EnsureComplete(Cid root)
    {
        if (_store.Options.CapacityBytes is not { } capacity)
        {
            return;
        }

        foreach (var chunk in _chunks)
        {
            if (!_store.Contains(chunk.Cid))
            {
                throw new ShmStoreFullException($"table {root}: chunk {chunk.Cid} was evicted while the table was published: its {_chunks.Sum(c => c.Bytes)} bytes of chunks do not fit the capacity of {capacity}");
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
}
