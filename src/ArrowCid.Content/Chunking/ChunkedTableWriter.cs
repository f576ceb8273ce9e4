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
/// A sink whose chunk blocks can be written on several threads at once and made final one by one
/// in row order: what lets <see cref="ChunkedTableWriter.AddAll"/> spread a table over the cores.
/// <see cref="IChunkedTableSink.StoreChunk"/> must do the same as <see cref="CommitChunk"/> of
/// <see cref="WriteChunk"/>.
/// </summary>
public interface IPipelinedChunkSink : IChunkedTableSink
{
    /// <summary>Writes a chunk's block (encoded and hashed; durable where the sink stores); called on any thread, for several chunks at once.</summary>
    /// <param name="chunk">The chunk; its batches stay alive until the write is committed or disposed.</param>
    /// <returns>The written chunk, not yet final.</returns>
    PendingChunk WriteChunk(TableChunk chunk);

    /// <summary>Makes a written chunk final (registers it); called in row order on the writer's thread.</summary>
    /// <param name="written">What <see cref="WriteChunk"/> returned; the sink disposes it.</param>
    /// <returns>The chunk's entry as stored.</returns>
    TableTreeEntry CommitChunk(PendingChunk written);
}

/// <summary>A chunk whose block a <see cref="IPipelinedChunkSink"/> has written but not yet made final.</summary>
/// <param name="entry">The chunk's raw CID, rows and block length.</param>
/// <param name="state">What the sink holds until the chunk is committed (a lock, say), released by <see cref="Dispose"/>; null for nothing.</param>
public sealed class PendingChunk(TableTreeEntry entry, IDisposable? state = null) : IDisposable
{
    /// <summary>The chunk's raw CID, rows and block length.</summary>
    public TableTreeEntry Entry { get; } = entry;

    /// <summary>What the sink holds until the chunk is committed, or null.</summary>
    public IDisposable? State { get; } = state;

    /// <summary>Releases <see cref="State"/> (a chunk written but never committed is left for the store's collection).</summary>
    public void Dispose() => State?.Dispose();
}

/// <summary>
/// The one sequence by which a table is written as content-defined chunks (docs/canonical-form.md
/// §7), whatever stores it: each <see cref="Add"/> feeds the producer's rows to a
/// <see cref="TableChunker"/>, hands every chunk they complete to the sink and every manifest node
/// that became final after it, then copies the rows held for the next chunk
/// (<see cref="TableChunker.Detach"/>) so the caller may dispose its batch; <see cref="Finish"/>
/// does the same for the last rows and returns the tree, whose root block (when the table has
/// more than one chunk) the caller stores, since each store registers or announces a table in
/// its own way. Used by the repository's <c>TableWriter</c> and the shared-memory store's
/// <c>ShmTableWriter</c>. Not thread-safe.
/// </summary>
public sealed partial class ChunkedTableWriter : IDisposable
{
    /// <summary>The most rows a table's only batch may have to be chunked inline by <see cref="AddAllAndFinish"/>.</summary>
    public const int InlineRows = 1024;

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
        var stored = AddInPlace(batch);
        if (_detach)
        {
            // The chunks were stored while the batch is alive; what is left must outlive it.
            _chunker.Detach();
        }

        return stored;
    }

    /// <summary>
    /// Adds the producer's next rows as <see cref="Add"/> does (the same chunks, stored before this
    /// returns), but leaves the rows after the last cut where they are instead of copying them: the
    /// caller keeps <paramref name="batch"/> alive, its memory unchanged, until it calls
    /// <see cref="Detach"/>, <see cref="Finish"/> or <see cref="Dispose"/>. A producer that cannot
    /// tell whether more batches follow (a network stream) so pays the copy only when one does,
    /// and a table of one batch none, as with <see cref="AddAllAndFinish"/>.
    /// </summary>
    /// <param name="batch">Rows of the table's schema, kept alive by the caller as said.</param>
    /// <returns>The entries of the chunks this batch completed (possibly none).</returns>
    /// <exception cref="ArgumentException">The batch's schema is not the table's; nothing of it was stored.</exception>
    /// <exception cref="InvalidOperationException">The writer is finished or disposed.</exception>
    public IReadOnlyList<TableTreeEntry> AddInPlace(RecordBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ThrowIfClosed();
        return Store(_chunker.Add(batch));
    }

    /// <summary>Copies the rows held for the next chunk into memory the writer owns, so every batch added so far may be disposed (after <see cref="AddInPlace"/>; <see cref="Add"/> does it itself).</summary>
    /// <exception cref="InvalidOperationException">The writer is finished or disposed.</exception>
    public void Detach()
    {
        ThrowIfClosed();
        _chunker.Detach();
    }

    /// <summary>
    /// Adds every batch of a stream and finishes the table: <see cref="AddAll"/> then
    /// <see cref="Finish"/>, with the same chunks and tree, but cheaper for a small table. A table
    /// of one batch of at most <see cref="InlineRows"/> rows is chunked on the calling thread (no
    /// workers to start for one batch), and the rows held for its last chunk are not copied: the
    /// batch is kept through <see cref="RecordBatch.Owner"/> (or is managed memory) until its
    /// chunks are stored, so the source may still dispose it once asked for the next. Anything
    /// larger goes through <see cref="AddAll"/>.
    /// </summary>
    /// <param name="batches">The producer's batches in order, of the table's schema.</param>
    /// <returns>The table's tree, as <see cref="Finish"/> returns it.</returns>
    /// <exception cref="ArgumentException">A batch's schema is not the table's.</exception>
    /// <exception cref="InvalidOperationException">The writer is finished or disposed.</exception>
    /// <remarks>On any failure the writer is closed and what it held let go.</remarks>
    public TableTreeResult AddAllAndFinish(IEnumerable<RecordBatch> batches)
    {
        ArgumentNullException.ThrowIfNull(batches);
        ThrowIfClosed();
        try
        {
            return AddAllThenFinish(batches);
        }
        catch
        {
            // Whatever failed, the table cannot be finished any more: its pooled rows go now.
            _closed = true;
            _chunker.Dispose();
            throw;
        }
    }

    private TableTreeResult AddAllThenFinish(IEnumerable<RecordBatch> batches)
    {
        using var source = batches.GetEnumerator();
        if (!source.MoveNext())
        {
            return Finish();
        }

        var first = source.Current;
        // A batch leased without a shared owner may lose its memory once the next is asked for: the usual way copies what it must.
        if (first.Length > InlineRows || (first.IsLeased && first.Owner is null))
        {
            AddAll(Resumed(first, source, nextPulled: false));
            return Finish();
        }

        using var hold = first.Owner?.Acquire();
        if (source.MoveNext())
        {
            AddAll(Resumed(first, source, nextPulled: true));
            return Finish();
        }

        Store(_chunker.Add(first));
        return Finish();
    }

    // The batch already pulled from a source, then the rest of it (from its current one when that was pulled too).
    private static IEnumerable<RecordBatch> Resumed(RecordBatch pulled, IEnumerator<RecordBatch> source, bool nextPulled)
    {
        yield return pulled;
        if (!nextPulled && !source.MoveNext())
        {
            yield break;
        }

        do
        {
            yield return source.Current;
        }
        while (source.MoveNext());
    }

    /// <summary>
    /// Adds every batch of a stream, several at once: while the calling thread pulls the next
    /// batches and cuts chunks in order, up to <see cref="Environment.ProcessorCount"/> batches are
    /// normalised and row-hashed on worker threads and up to twice as many completed chunks are
    /// encoded, hashed and written by the sink (<see cref="IPipelinedChunkSink"/>) on others; chunks
    /// are committed and linked into the tree in row order, so the result is exactly that of
    /// <see cref="Add"/> for each batch. A batch is held (its memory kept through
    /// <see cref="RecordBatch.Owner"/> where it has one, so the source may dispose it once asked for
    /// the next) until its rows are in committed chunks; a batch leased without a shared
    /// owner is finished with before the next is pulled. Without a pipelined sink, or on one core,
    /// this is <see cref="Add"/> for each batch.
    /// </summary>
    /// <param name="batches">The producer's batches in order, of the table's schema.</param>
    /// <exception cref="ArgumentException">A batch's schema is not the table's (the batches before it are added).</exception>
    /// <exception cref="InvalidOperationException">The writer is finished or disposed.</exception>
    /// <remarks>Any other failure (a batch that cannot be normalised, a store that fails) is thrown as it was raised, once no worker uses any batch any more, and ends the writer.</remarks>
    public void AddAll(IEnumerable<RecordBatch> batches)
    {
        ArgumentNullException.ThrowIfNull(batches);
        ThrowIfClosed();
        if (_sink is not IPipelinedChunkSink pipelined || Environment.ProcessorCount < 2)
        {
            foreach (var batch in batches)
            {
                Add(batch);
            }

            return;
        }

        using var pipeline = new Pipeline(this, pipelined, Environment.ProcessorCount);
        try
        {
            foreach (var batch in batches)
            {
                pipeline.Add(batch);
            }

            pipeline.Complete();
        }
        catch (ArgumentException e) when (e.ParamName == "schema")
        {
            // A batch of the wrong schema: nothing of it was taken; the batches before it are (as with Add).
            pipeline.Complete();
            throw;
        }
        catch
        {
            // The rows are lost: the table cannot go on (the pipeline's Dispose waits for its workers first).
            _closed = true;
            throw;
        }
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
            var last = _chunker.Finish();
            // A table of one chunk is that chunk: the sink registers it as the table (its pin, say).
            Store(_chunks.Count == 0 && last.Count == 1 ? [last[0] with { IsWholeTable = true }] : last);
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
            Link(entry);
            stored.Add(entry);
        }

        return stored;
    }

    /// <summary>Records a stored chunk, next in row order, and stores the nodes it makes final.</summary>
    private void Link(TableTreeEntry entry)
    {
        _chunks.Add(entry);
        foreach (var node in _tree.Add(entry))
        {
            _sink.StoreNode(node);
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
