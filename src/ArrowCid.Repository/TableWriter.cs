using System.Diagnostics;
using System.Runtime.CompilerServices;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.Multiformats;

using ArrowCid.Registry;

namespace ArrowCid.Repository;

/// <summary>
/// Puts one table incrementally, as content-defined chunks (docs/canonical-form.md §7): each
/// <see cref="Add"/> feeds the producer's batch to a <see cref="TableChunker"/> and stores every
/// chunk it completes — encoded once straight into its block file through SHA-256 and registered
/// before <see cref="Add"/> returns, so an added batch's completed chunks are durable and only the
/// rows since the last cut are held (copied, so the caller may dispose the batch). Manifest tree
/// nodes are stored as they become final. <see cref="Finish"/> stores the last chunks and the
/// root, registers the table as a dataset and, with <see cref="PutOptions.Name"/>, records it as
/// that name's next version. A table of one chunk is named by that chunk's raw CID; a larger one
/// by its version-2 manifest tree's root. The same rows give the same CID however they are
/// batched. This is the one way a table is put: <see cref="ContentRepository.PutStream(Schema, IEnumerable{RecordBatch}, PutOptions?, IPutPublisher?)"/>
/// (so <c>put</c>, <c>cid</c> and ingest), Flight's DoPut and <c>flight pull</c> all go through it.
/// </summary>
/// <remarks>
/// One pin policy (<see cref="PinGuard"/>): while the writer is open, every block it stored is
/// held by its guard, so a concurrent garbage collection cannot remove it before the root that
/// keeps it exists; chunks and nodes are registered unpinned (a table of one chunk carries the
/// table's pin), and <see cref="Finish"/> leaves the decision to the table's own pin
/// (<see cref="PutOptions.Pin"/>) or name. <see cref="Dispose"/> without <see cref="Finish"/>, or
/// a process killed mid-put, leaves the stored chunks registered but unpinned, for GC to collect.
/// Not thread-safe: one writer per put.
/// </remarks>
public sealed class TableWriter : IDisposable
{
    // The registry's schema text per schema object: a stream's decoded schema is one object for the
    // same schema message (the decoder keeps them), so many small puts of one schema format it once.
    // Schemas are immutable, so the text cannot go stale.
    private static readonly ConditionalWeakTable<Schema, string> SchemaTexts = new();

    private readonly ContentRepository? _content;
    private readonly IPutPublisher? _publisher;
    private readonly PinGuard? _guard;
    private readonly PutOptions _chunkOptions;
    private readonly ChunkedTableWriter _table;
    private readonly string _schemaText;
    private readonly List<StoredBatch> _chunks = [];
    private long _batchesAdded;
    private long _bytesStored;
    private bool _closed;

    // Whether the table's only chunk was registered with the table's pin.
    private bool _wholeTablePinned;

    // While FinishAsync runs: the chunks whose rows were submitted to the group commit, not yet durable.
    private List<DeferredChunk>? _deferred;

    /// <summary>A writer into <paramref name="content"/>, or, when it is null, one that only names (stores nothing).</summary>
    internal TableWriter(ContentRepository? content, Schema schema, PutOptions options, IPutPublisher? publisher)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Name is not null)
        {
            // Checked before anything is stored, and kept in the form names are kept in (NFC).
            options = options with { Name = DatasetName.Validate(options.Name) };
        }

        _content = content;
        _publisher = publisher;
        _table = new ChunkedTableWriter(schema, new Sink(this));
        _guard = content is null ? null : new PinGuard(content.Repository);
        _schemaText = SchemaTexts.GetValue(_table.Schema, static s => s.ToString());
        Schema = schema;
        Options = options;
        _chunkOptions = options with { Pin = false };
    }

    /// <summary>The schema every batch must have (its metadata order aside: the table's schema is its canonical form).</summary>
    public Schema Schema { get; }

    /// <summary>How the chunks and the table are registered.</summary>
    public PutOptions Options { get; }

    /// <summary>The chunks stored so far, in row order.</summary>
    public IReadOnlyList<StoredBatch> Chunks => _chunks;

    /// <summary>
    /// Adds the producer's next rows: every chunk they complete is canonicalised, encoded once into
    /// its block file (hashed as written), made durable and registered (pinned while the writer is
    /// open) before this returns. Rows after the last cut are copied and held for the next chunk.
    /// </summary>
    /// <param name="batch">A batch of <see cref="Schema"/>; the caller may dispose it (or reuse its memory) once this returns.</param>
    /// <returns>The chunks this batch completed (possibly none; the rest come with later batches or <see cref="Finish"/>).</returns>
    /// <exception cref="ArgumentException">The batch's schema differs from the table's; nothing of it was stored.</exception>
    /// <exception cref="InvalidOperationException">The writer is finished or disposed.</exception>
    public IReadOnlyList<StoredBatch> Add(RecordBatch batch) => AddBatch(batch, inPlace: false);

    /// <summary>
    /// Adds the producer's next rows as <see cref="Add(RecordBatch)"/> does (the same chunks, durable
    /// and registered before this returns), without copying the rows after the last cut: the
    /// caller keeps <paramref name="batch"/> alive, its memory unchanged, until it calls
    /// <see cref="Detach"/>, <see cref="Finish"/> or <see cref="Dispose"/>. For a stream whose end
    /// is not known in advance (DoPut): a table of one small batch is then never copied, as
    /// <see cref="ContentRepository.PutStream(Schema, IEnumerable{RecordBatch}, PutOptions?, IPutPublisher?)"/> does not copy it.
    /// </summary>
    /// <param name="batch">A batch of <see cref="Schema"/>, kept alive by the caller as said.</param>
    /// <returns>The chunks this batch completed (possibly none).</returns>
    /// <exception cref="ArgumentException">The batch's schema differs from the table's; nothing of it was stored.</exception>
    /// <exception cref="InvalidOperationException">The writer is finished or disposed.</exception>
    public IReadOnlyList<StoredBatch> AddInPlace(RecordBatch batch) => AddBatch(batch, inPlace: true);

    /// <summary>Copies the rows held for the next chunk into memory the writer owns, so the batches given to <see cref="AddInPlace"/> may be disposed.</summary>
    /// <exception cref="InvalidOperationException">The writer is finished or disposed.</exception>
    public void Detach()
    {
        ThrowIfClosed();
        _table.Detach();
    }

    private List<StoredBatch> AddBatch(RecordBatch batch, bool inPlace)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ThrowIfClosed();
        int before = _chunks.Count;
        try
        {
            if (inPlace)
            {
                _table.AddInPlace(batch);
            }
            else
            {
                _table.Add(batch);
            }
        }
        catch (ArgumentException e) when (e.ParamName == "schema")
        {
            throw new ArgumentException($"batch {_batchesAdded} has a schema different from the table's: {e.Message}", nameof(batch), e);
        }

        _batchesAdded++;
        return _chunks.GetRange(before, _chunks.Count - before);
    }

    /// <summary>
    /// Adds every batch of a stream as <see cref="Add"/> would, on all cores: batches are prepared
    /// ahead and chunks encoded, hashed and written in parallel, then registered in row order
    /// (<see cref="ChunkedTableWriter.AddAll"/>). The producer may dispose a batch once asked for
    /// the next (the writer keeps its memory through its shared owner while it needs it).
    /// </summary>
    /// <param name="batches">Batches of <see cref="Schema"/>, in order.</param>
    /// <exception cref="ArgumentException">A batch's schema differs from the table's; nothing of it was stored.</exception>
    /// <exception cref="InvalidOperationException">The writer is finished or disposed.</exception>
    public void AddAll(IEnumerable<RecordBatch> batches)
    {
        ArgumentNullException.ThrowIfNull(batches);
        ThrowIfClosed();
        try
        {
            _table.AddAll(Counted(batches));
        }
        catch (ArgumentException e) when (e.ParamName == "schema")
        {
            // Counted has already counted the batch that failed.
            throw new ArgumentException($"batch {_batchesAdded - 1} has a schema different from the table's: {e.Message}", nameof(batches), e);
        }
    }

    private IEnumerable<RecordBatch> Counted(IEnumerable<RecordBatch> batches)
    {
        foreach (var batch in batches)
        {
            _batchesAdded++;
            yield return batch;
        }
    }

    /// <summary>
    /// Stores the last chunks and the manifest tree's root (hashed once, as it is encoded),
    /// registers the table as a dataset (pinned per <see cref="PutOptions.Pin"/>), records it as
    /// the next version of <see cref="PutOptions.Name"/> when one is set, then releases the
    /// writer's pins: from here the table's pin or name keeps its blocks. A table without rows is
    /// one chunk of zero rows (the canonical empty batch of its schema).
    /// </summary>
    /// <returns>Each chunk as stored, the table and, when named, its version.</returns>
    /// <exception cref="InvalidOperationException">The writer is finished or disposed.</exception>
    public PutStreamResult Finish()
    {
        ThrowIfClosed();
        _closed = true;
        return Complete(_table.Finish);
    }

    /// <summary>
    /// <see cref="Finish"/> without a thread waiting for the disk: the last chunks' rows join the
    /// next group commit and the task goes on once it is durable, so a node's many concurrent small
    /// puts share groups however few threads it has. A table of several levels still registers its
    /// inner nodes and root waiting in place, after its chunks.
    /// </summary>
    /// <returns>Each chunk as stored, the table and, when named, its version.</returns>
    /// <exception cref="InvalidOperationException">The writer is finished or disposed.</exception>
    public async Task<PutStreamResult> FinishAsync()
    {
        ThrowIfClosed();
        _closed = true;
        TableTreeResult tree;
        try
        {
            var deferred = _deferred = [];
            try
            {
                tree = _table.Finish();
            }
            finally
            {
                _deferred = null;
                await CompleteDeferredAsync(deferred).ConfigureAwait(false);
            }
        }
        catch
        {
            _guard?.Release();
            throw;
        }

        return await CompleteAsync(() => tree, waitInPlace: false).ConfigureAwait(false);
    }

    // Waits for the deferred chunks' group commits; each write is let go, whatever the outcome (the
    // guard holds them already); then the chunks are recorded in order as CommitChunk would have.
    private async Task CompleteDeferredAsync(List<DeferredChunk> deferred)
    {
        try
        {
            await Task.WhenAll(deferred.Select(d => d.Registered)).ConfigureAwait(false);
        }
        finally
        {
            foreach (var chunk in deferred)
            {
                chunk.Written.Dispose();
            }
        }

        foreach (var chunk in deferred)
        {
            var stored = chunk.Registered.Result;
            _chunks.Add(new StoredBatch(stored.Cid, chunk.Rows, stored.Bytes));
            _publisher?.Registered(stored.Cid, pinned: false);
        }
    }

    /// <summary>
    /// <see cref="AddAll"/> then <see cref="Finish"/>, as one put of a whole stream does, cheaper
    /// for a small table: a table of one small batch is chunked on the calling thread and its
    /// last rows are not copied (<see cref="ChunkedTableWriter.AddAllAndFinish"/>); the chunks,
    /// CIDs and registrations are the same.
    /// </summary>
    /// <param name="batches">Batches of <see cref="Schema"/>, in order.</param>
    /// <returns>As <see cref="Finish"/>.</returns>
    /// <exception cref="ArgumentException">A batch's schema differs from the table's; the writer is closed.</exception>
    internal PutStreamResult AddAllAndFinish(IEnumerable<RecordBatch> batches)
    {
        ArgumentNullException.ThrowIfNull(batches);
        ThrowIfClosed();
        _closed = true;
        return Complete(() =>
        {
            try
            {
                return _table.AddAllAndFinish(Counted(batches));
            }
            catch (ArgumentException e) when (e.ParamName == "schema")
            {
                throw new ArgumentException($"batch {_batchesAdded - 1} has a schema different from the table's: {e.Message}", nameof(batches), e);
            }
        });
    }

    // The rest of a finish once the table's tree is made: the root stored, the version named, the
    // writer's pins let go. The publisher's flush (a durable tier's uploads) is waited for in place.
    private PutStreamResult Complete(Func<TableTreeResult> finishTable)
    {
        var completing = CompleteAsync(finishTable, waitInPlace: true);
        Debug.Assert(completing.IsCompleted, "waited in place");
        return completing.GetAwaiter().GetResult();
    }

    // Complete's steps; without waitInPlace, the publisher's flush is awaited, holding no thread.
    private async Task<PutStreamResult> CompleteAsync(Func<TableTreeResult> finishTable, bool waitInPlace)
    {
        try
        {
            var tree = finishTable();
            var result = new PutStreamResult(
                _chunks.ToArray(),
                new TableResult(tree.Root, tree.Rows, _chunks.Count, tree.Bytes, tree.RootBlock?.Bytes.Length ?? 0));
            if (_content is null)
            {
                return result;
            }

            // An unpinned table being named is held pinned until its version keeps it instead.
            var guard = Options.Name is not null && !Options.Pin ? _guard : null;
            if (tree.RootBlock is { } root)
            {
                _content.Repository.PutBlock(root.ToHashedBlock(), DatasetRecord(root.Cid, _schemaText, tree.Rows, Options, Options.Pin), guard);
                _publisher?.Registered(root.Cid, Options.Pin);
            }
            else if (Options.Pin)
            {
                // A one-chunk table is its chunk, registered with the table's pin when Finish cut it;
                // a chunk Add cut before the table was known to end there is pinned now.
                if (!_wholeTablePinned)
                {
                    _content.Repository.Pin(tree.Root);
                }

                _publisher?.Registered(tree.Root, pinned: true);
            }

            // Every block is registered: published before a name's version and the acknowledgement.
            if (_publisher is not null)
            {
                if (waitInPlace)
                {
                    _publisher.Flush();
                }
                else
                {
                    await _publisher.FlushAsync().ConfigureAwait(false);
                }
            }

            if (Options.Name is not { } name)
            {
                return result;
            }

            // Unchanged content under its name adds no version (unless forced), as a pull does.
            var latest = Options.ForceVersion ? null : _publisher is null ? _content.Repository.Registry.FindVersion(name) : _publisher.FindVersion(name);
            if (latest is not null && latest.Cid == tree.Root)
            {
                return result with { Version = latest };
            }

            var version = _publisher is null ? _content.AddVersion(name, tree.Root)
                : waitInPlace ? _publisher.AddVersion(name, tree.Root)
                : await _publisher.AddVersionAsync(name, tree.Root).ConfigureAwait(false);
            return result with { Version = version, VersionAdded = true };
        }
        finally
        {
            _guard?.Release();
        }
    }

    /// <summary>Without <see cref="Finish"/>: releases the writer's pins, so the chunks it stored stay registered but GC may collect them (unless pinned otherwise). After it: nothing.</summary>
    public void Dispose()
    {
        if (!_closed)
        {
            _closed = true;
            _table.Dispose();
            _guard?.Release();
        }
    }

    /// <summary>The registry record of a table's root manifest: what a put and a CAR import register alike (links come from the manifest block).</summary>
    internal static BlockRecord DatasetRecord(Cid cid, string schema, long rows, PutOptions options, bool pinned) => new()
    {
        Cid = cid,
        Kind = BlockKind.Dataset,
        Schema = schema,
        Rows = rows,
        Tags = options.Tags,
        Producer = options.Producer,
        Provenance = options.Provenance,
        Pinned = pinned,
    };

    /// <summary>The registry record of a manifest tree node below the root (links come from the node block).</summary>
    internal static BlockRecord NodeRecord(Cid cid) => new()
    {
        Cid = cid,
        Kind = BlockKind.TableNode,
    };

    /// <summary>Writes a chunk: encoded once into its block file through SHA-256 (any thread), or only named when storing nothing.</summary>
    private PendingChunk WriteChunk(TableChunk chunk)
    {
        if (_content is null)
        {
            return new PendingChunk(chunk.ToEntry());
        }

        // Checked before the chunk is written (its encoded length is known); disposing the writer
        // releases what it stored before.
        long stored = Interlocked.Add(ref _bytesStored, chunk.EncodedLength);
        if (stored > Options.MaxTableBytes)
        {
            throw new Arrow.ArrowFormatException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"the table decodes to more than {Options.MaxTableBytes} bytes of chunks ({stored} with this chunk), past the limit of what one put may store (PutOptions.MaxTableBytes; a node's max_decompressed_bytes_per_request)"));
        }

        var written = _content.Repository.WriteBatchBlock(chunk.WriteTo);
        return new PendingChunk(new TableTreeEntry(written.Cid, chunk.Rows, written.Length), written);
    }

    /// <summary>Registers a written chunk (held by the writer's guard), in row order; the table's only chunk is registered as the table.</summary>
    private TableTreeEntry CommitChunk(PendingChunk pending, bool wholeTable = false)
    {
        var entry = pending.Entry;
        var options = wholeTable ? Options : _chunkOptions;
        _wholeTablePinned |= wholeTable && Options.Pin;

        // A table of one chunk pinned is kept by its own row's pin, and one neither pinned nor named
        // by nothing: only one that a name will keep needs the guard (no guard file for a small put).
        var guard = wholeTable && (Options.Pin || Options.Name is null) ? null : _guard;
        if (_content is not null && pending.State is WrittenBlock submitted && _deferred is { } deferred)
        {
            // The row is submitted now and recorded once durable (CompleteDeferredAsync); the entry
            // already names what was written, which is what the row will say.
            deferred.Add(new DeferredChunk(submitted, entry.Rows, _content.Repository.SubmitBatchBlock(submitted, _schemaText, entry.Rows, options, guard)));
            return entry;
        }

        if (_content is not null && pending.State is WrittenBlock written)
        {
            var record = _content.Repository.RegisterBatchBlock(written, _schemaText, entry.Rows, options, guard);
            entry = new TableTreeEntry(record.Cid, entry.Rows, record.Bytes);
            _publisher?.Registered(entry.Cid, pinned: false);
        }
        else
        {
            pending.Dispose();
        }

        _chunks.Add(new StoredBatch(entry.Cid, entry.Rows, entry.Bytes));
        return entry;
    }

    /// <summary>Stores a manifest node below the root as a table node (held by the writer's guard).</summary>
    private void StoreNode(TableTreeBlock node)
    {
        if (_content is not null)
        {
            _content.Repository.PutBlock(node.ToHashedBlock(), NodeRecord(node.Cid), _guard);
            _publisher?.Registered(node.Cid, pinned: false);
        }
    }

    private void ThrowIfClosed()
    {
        if (_closed)
        {
            throw new InvalidOperationException("the dataset writer is finished or disposed");
        }
    }

    /// <summary>The writer's blocks as the table writer hands them over (kept off the writer's public surface).</summary>
    private sealed class Sink(TableWriter writer) : IPipelinedChunkSink
    {
        public TableTreeEntry StoreChunk(TableChunk chunk) => writer.CommitChunk(writer.WriteChunk(chunk), chunk.IsWholeTable);

        public PendingChunk WriteChunk(TableChunk chunk) => writer.WriteChunk(chunk);

        public TableTreeEntry CommitChunk(PendingChunk written) => writer.CommitChunk(written);

        public void StoreNode(TableTreeBlock node) => writer.StoreNode(node);
    }

    private sealed record DeferredChunk(WrittenBlock Written, long Rows, Task<RegisteredRow> Registered);
}
