using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Content.Chunking;

/// <summary>Where a <see cref="ChunkedTableWriter"/> puts a table's blocks: the repository, the shared-memory store, or nowhere (naming only).</summary>
public interface IChunkedTableSink
{
    /// <summary>Stores a chunk's canonical block (<see cref="TableChunk.WriteTo"/>) while its batches are alive, and returns its entry as stored.</summary>
    /// <param name="chunk">The chunk, in row order.</param>
    /// <returns>The chunk's raw CID, rows and block length.</returns>
    TableTreeEntry StoreChunk(TableChunk chunk);

    /// <summary>Stores a manifest node below the root, final once returned by the tree builder (children before parents).</summary>
    /// <param name="node">The node block, hashed as it was encoded.</param>
    void StoreNode(TableTreeBlock node);
}

/// <summary>
/// The one sequence by which a table is written as content-defined chunks (docs/canonical-form.md
/// §7), whatever stores it: each <see cref="Add"/> feeds the producer's rows to a
/// <see cref="TableChunker"/>, hands every chunk they complete to the sink and every manifest node
/// that became final after it, then copies the rows held for the next chunk
/// (<see cref="TableChunker.Detach"/>) so the caller may dispose its batch; <see cref="Finish"/>
/// does the same for the last rows and returns the tree, whose root block (when the table has
/// more than one chunk) the caller stores, since each store registers or announces a table in
/// its own way. Used by the repository's <c>DatasetWriter</c> and the shared-memory store's
/// <c>ShmTableWriter</c>. Not thread-safe.
/// </summary>
public sealed class ChunkedTableWriter : IDisposable
{
    private readonly IChunkedTableSink _sink;
    private readonly bool _detach;
    private readonly TableChunker _chunker;
    private readonly TableTreeBuilder _tree;
    private readonly List<TableTreeEntry> _chunks = [];
    private bool _closed;

    /// <summary>Starts a table of <paramref name="schema"/> whose blocks go to <paramref name="sink"/>.</summary>
    /// <param name="schema">The table's schema; every batch added must have it (metadata order aside).</param>
    /// <param name="sink">Where chunks and nodes are stored.</param>
    /// <param name="detach">Copy the rows held for the next chunk after each <see cref="Add"/> (false only when every batch outlives the writer).</param>
    public ChunkedTableWriter(Schema schema, IChunkedTableSink sink, bool detach = true)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(sink);
        _sink = sink;
        _detach = detach;
        _chunker = new TableChunker(schema);
        _tree = new TableTreeBuilder(_chunker.Schema);
    }

    /// <summary>The table's schema with its metadata in canonical order.</summary>
    public Schema Schema => _chunker.Schema;

    /// <summary>The chunks stored so far, in row order.</summary>
    public IReadOnlyList<TableTreeEntry> Chunks => _chunks;

    /// <summary>Adds the producer's next rows; every chunk they complete is stored before this returns.</summary>
    /// <param name="batch">Rows of the table's schema; with detaching, the caller may dispose it once this returns.</param>
    /// <returns>The entries of the chunks this batch completed (possibly none).</returns>
    /// <exception cref="ArgumentException">The batch's schema is not the table's; nothing of it was stored.</exception>
    /// <exception cref="InvalidOperationException">The writer is finished or disposed.</exception>
    public IReadOnlyList<TableTreeEntry> Add(RecordBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ThrowIfClosed();
        var stored = Store(_chunker.Add(batch));
        if (_detach)
        {
            // The chunks above were stored while the batch is alive; what is left must outlive it.
            _chunker.Detach();
        }

        return stored;
    }

    /// <summary>Stores the last chunks and every node below the root; the writer is then finished.</summary>
    /// <returns>The tree: the table's CID, its root block (null for one chunk: the table is that chunk) for the caller to store, rows and chunk bytes.</returns>
    /// <exception cref="InvalidOperationException">The writer is finished or disposed.</exception>
    public TableTreeResult Finish()
    {
        ThrowIfClosed();
        _closed = true;
        try
        {
            Store(_chunker.Finish());
            var tree = _tree.Finish();
            foreach (var node in tree.Blocks)
            {
                if (node.Cid != tree.Root)
                {
                    _sink.StoreNode(node);
                }
            }

            return tree;
        }
        finally
        {
            _chunker.Dispose();
        }
    }

    /// <summary>Stops without finishing: what was stored stays where the sink put it.</summary>
    public void Dispose()
    {
        if (!_closed)
        {
            _closed = true;
            _chunker.Dispose();
        }
    }

    private List<TableTreeEntry> Store(IReadOnlyList<TableChunk> chunks)
    {
        var stored = new List<TableTreeEntry>(chunks.Count);
        foreach (var chunk in chunks)
        {
            var entry = _sink.StoreChunk(chunk);
            _chunks.Add(entry);
            stored.Add(entry);
            foreach (var node in _tree.Add(entry))
            {
                _sink.StoreNode(node);
            }
        }

        return stored;
    }

    private void ThrowIfClosed()
    {
        if (_closed)
        {
            throw new InvalidOperationException("the table writer is finished or disposed");
        }
    }
}
