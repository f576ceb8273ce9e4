using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.Datasets;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.SharedMemory;

/// <summary>
/// A table in a <see cref="ShmStore"/>, opened by its CID (<see cref="ShmStore.OpenTable"/>): its
/// schema and totals from its verified root, and its chunk list, read from the verified manifest
/// nodes below the root when it is first asked for.
/// </summary>
public sealed class ShmTable
{
    private readonly IReadOnlyList<TableTreeEntry>? _chunks;
    private readonly Lazy<(IReadOnlyList<TableTreeEntry> Chunks, IReadOnlyList<Cid> Nodes)>? _tree;

    private ShmTable(Cid cid, Schema schema, long rows, long bytes)
    {
        Cid = cid;
        Schema = schema;
        Rows = rows;
        Bytes = bytes;
    }

    /// <summary>A table of one chunk: the chunk is the table.</summary>
    private ShmTable(Cid cid, Schema schema, long rows, long bytes, IReadOnlyList<TableTreeEntry> chunks)
        : this(cid, schema, rows, bytes) => _chunks = chunks;

    /// <summary>
    /// A manifest tree whose nodes below the root <paramref name="walk"/> reads on first need, until
    /// one walk succeeds (a failed walk, say a node evicted, is not remembered: the store keeps
    /// opened tables, and the node may be published again).
    /// </summary>
    internal ShmTable(Cid cid, Schema schema, long rows, long bytes, Func<(IReadOnlyList<TableTreeEntry> Chunks, IReadOnlyList<Cid> Nodes)> walk)
        : this(cid, schema, rows, bytes) => _tree = new(walk, LazyThreadSafetyMode.PublicationOnly);

    /// <summary>The table's CID: a raw CID for a one-chunk table, else its manifest tree's root.</summary>
    public Cid Cid { get; }

    /// <summary>The table's schema.</summary>
    public Schema Schema { get; }

    /// <summary>Rows of the table.</summary>
    public long Rows { get; }

    /// <summary>Bytes of its chunk segments.</summary>
    public long Bytes { get; }

    /// <summary>
    /// Its chunks in row order: raw CID, rows, segment bytes. The first use reads the manifest
    /// nodes below the root, each checked against its CID, the format and its parent's entry.
    /// </summary>
    /// <exception cref="ShmSegmentNotFoundException">A node is not in the store.</exception>
    /// <exception cref="ShmSegmentCorruptedException">A node is refused.</exception>
    public IReadOnlyList<TableTreeEntry> Chunks => _chunks ?? _tree!.Value.Chunks;

    /// <summary>Its manifest nodes as read, the root first (none for a one-chunk table); read as <see cref="Chunks"/> says.</summary>
    public IReadOnlyList<Cid> Nodes => _chunks is not null ? [] : _tree!.Value.Nodes;

    /// <summary>Whether the table is one chunk (a raw CID), its schema that chunk's own.</summary>
    internal bool IsOneChunk => _chunks is not null;

    internal static ShmTable OfOneChunk(Cid cid, RecordBatch batch, long length) =>
        new(cid, batch.Schema, batch.Length, length, [new TableTreeEntry(cid, batch.Length, length)]);

    /// <summary>Whether a chunk's schema is the table's (metadata order aside): compared by their canonical Schema messages.</summary>
    internal bool HasSchemaOf(RecordBatch chunk)
    {
        if (IsOneChunk)
        {
            // A one-chunk table's schema is its chunk's own.
            return true;
        }

        return DatasetSchemaMessage.EncodeShared(chunk.Schema).Span.SequenceEqual(DatasetSchemaMessage.EncodeShared(Schema).Span);
    }
}

/// <summary>
/// A table attached by <see cref="ShmStore.AttachTable"/>. Attaching costs what a one-chunk table
/// costs, whatever the table's size: only its root is read. Each chunk is attached when
/// <see cref="Batches"/> first reaches it — zero copy, its buffers pointing into its segment,
/// verified per <see cref="ShmStoreOptions.Verification"/>, checked against its manifest entry and
/// the table's schema, under its own lease — and kept until this is disposed. Read in order, the
/// next chunks (one per core) are attached and verified on other threads while the caller reads this one.
/// </summary>
public sealed class ShmAttachedTable : IDisposable
{
    private readonly ChunkList _batches;

    internal ShmAttachedTable(ShmTable table, Func<int, RecordBatch> attach, RecordBatch? only = null)
    {
        Table = table;
        _batches = new ChunkList(table, attach, only);
    }

    /// <summary>The table: CID, schema, rows, chunk list.</summary>
    public ShmTable Table { get; }

    /// <summary>
    /// The chunks in row order, each attached on first access (by index or enumeration) and the
    /// same batch on every later one. <see cref="IReadOnlyCollection{T}.Count"/> reads the chunk
    /// list (the manifest nodes), not the chunks.
    /// </summary>
    /// <exception cref="ShmSegmentNotFoundException">A chunk (or node) reached is not in the store (evicted, or never published here).</exception>
    /// <exception cref="ShmSegmentCorruptedException">A chunk (or node) reached is refused, or disagrees with the manifest.</exception>
    /// <exception cref="ObjectDisposedException">A chunk not attached yet is reached after <see cref="Dispose"/>.</exception>
    public IReadOnlyList<RecordBatch> Batches => _batches;

    /// <summary>Releases every attached chunk's lease (each batch also outlives this while exported or referenced).</summary>
    public void Dispose() => _batches.Dispose();

    /// <summary>For tests: waits for every attach started ahead of the read; returns how many there were.</summary>
    internal int SettleAttachesAhead() => _batches.SettleAttachesAhead();

    /// <summary>
    /// The chunks, attached one by one as they are first reached. Reached in order (an enumeration,
    /// or indexes counting up from 0), the next chunks (one per core) are attached on the thread pool
    /// while the caller reads this one, so a verified read hashes on every core instead of hashing
    /// and reading in turn.
    /// </summary>
    private sealed class ChunkList(ShmTable table, Func<int, RecordBatch> attach, RecordBatch? only) : IReadOnlyList<RecordBatch>, IDisposable
    {
        private readonly Lock _gate = new();
        private RecordBatch?[]? _attached = only is null ? null : [only];
        private Task<RecordBatch>?[]? _ahead;
        private int _lastReached = -1;
        private bool _disposed;

        public int Count => table.Chunks.Count;

        public RecordBatch this[int index]
        {
            get
            {
                ArgumentOutOfRangeException.ThrowIfNegative(index);
                ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
                Task<RecordBatch>? started = null;
                RecordBatch? batch;
                lock (_gate)
                {
                    ObjectDisposedException.ThrowIf(_disposed, this);
                    _attached ??= new RecordBatch?[Count];
                    batch = _attached[index];
                    if (batch is null && _ahead?[index] is { } ahead)
                    {
                        started = ahead;
                        _ahead[index] = null;
                    }
                }

                if (batch is null)
                {
                    // The attach started ahead rethrows what it failed with (a chunk missing or refused) here,
                    // where the chunk is reached. A reader on a pool thread may run one still in its own
                    // queue itself (a wait inlines what it can), so a busy pool need not stall it.
                    batch = started is null ? attach(index) : started.GetAwaiter().GetResult();
                    lock (_gate)
                    {
                        if (_disposed)
                        {
                            batch.Dispose();
                            throw new ObjectDisposedException(nameof(ShmAttachedTable));
                        }

                        if (_attached![index] is { } first)
                        {
                            // Another thread reached it at the same time: one lease is enough.
                            batch.Dispose();
                            batch = first;
                        }
                        else
                        {
                            _attached[index] = batch;
                        }
                    }
                }

                AttachAhead(index);
                return batch;
            }
        }

        public IEnumerator<RecordBatch> GetEnumerator()
        {
            for (int i = 0; i < Count; i++)
            {
                yield return this[i];
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public void Dispose()
        {
            RecordBatch?[]? attached;
            Task<RecordBatch>?[]? ahead;
            lock (_gate)
            {
                _disposed = true;
                attached = _attached;
                _attached = null;
                ahead = _ahead;
                _ahead = null;
            }

            foreach (var batch in attached ?? [])
            {
                batch?.Dispose();
            }

            foreach (var started in ahead ?? [])
            {
                if (started is null)
                {
                    continue;
                }

                // Waited for, so every lease is released when this returns; a failure no one reached is dropped.
                try
                {
                    started.Wait();
                }
                catch (AggregateException)
                {
                }

                if (started.IsCompletedSuccessfully)
                {
                    started.Result.Dispose();
                }
            }
        }

        public int SettleAttachesAhead()
        {
            Task<RecordBatch>[] pending;
            lock (_gate)
            {
                pending = [.. (_ahead ?? []).OfType<Task<RecordBatch>>()];
            }

            foreach (var started in pending)
            {
                // A failure stays in the task for the read that reaches the chunk.
                ((IAsyncResult)started).AsyncWaitHandle.WaitOne();
            }

            return pending.Length;
        }

        // After chunk `reached`, in order since 0: the next ones' attaches start on the pool, one per
        // core, so that verifying chunks (hashing, the larger cost) runs on every core.
        private void AttachAhead(int reached)
        {
            lock (_gate)
            {
                bool inOrder = reached == _lastReached + 1;
                _lastReached = reached;
                if (!inOrder || _disposed)
                {
                    return;
                }

                for (int next = reached + 1; next <= reached + ChunksAhead && next < Count; next++)
                {
                    _ahead ??= new Task<RecordBatch>?[Count];
                    if (_attached![next] is null && _ahead[next] is null)
                    {
                        int index = next;
                        _ahead[index] = Task.Run(() => attach(index));
                    }
                }
            }
        }

        private static readonly int ChunksAhead = Math.Max(1, Environment.ProcessorCount);
    }
}
