using System.Buffers;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Canonical;
using ArrowCid.Content.Datasets;

namespace ArrowCid.Content.Chunking;

/// <summary>
/// Cuts a table into content-defined chunks (docs/canonical-form.md, "Tables: content-defined
/// chunks") as its rows arrive: feed the producer's batches in order with <see cref="Add"/>, of
/// any size, then call <see cref="Finish"/>. Each returned chunk is one canonical batch — a slice
/// of a batch, or rows of several joined — whose canonical block is at most 1 MiB unless it is a
/// single row. The chunks depend only on the schema and the rows, never on how the rows were
/// batched.
/// </summary>
/// <remarks>
/// Rows not yet in a chunk stay as slices of the batches they came from (no copy), so a batch
/// whose memory is leased must stay undisposed while <see cref="Holds"/> says it is held; a chunk
/// may likewise share memory with its batches. One thread at a time calls the chunker.
/// <para>
/// With <see cref="TableChunkerMode.PrepareAhead"/> each batch is normalised and row-hashed on a
/// worker thread while the caller encodes, hashes or stores the chunks <see cref="Add"/> returned
/// for the batch before it, so a put or a table CID runs on two cores at the pace of the slower
/// half. The chunks are the same as in the default mode and come in the same order, one batch
/// later: <see cref="Add"/> returns the chunks completed by the previous batch, and
/// <see cref="Finish"/> the rest.
/// </para>
/// </remarks>
public sealed class TableChunker : IDisposable
{
    private readonly ChunkingParameters _parameters;
    private readonly ReadOnlyMemory<byte> _schemaMessage;
    private readonly bool[] _joinable;
    private readonly List<Segment> _pending = [];

    // PrepareAhead: chunks completed by a batch taken in by Detach, returned first by the next Add or Finish.
    private readonly List<TableChunk> _carried = [];
    private Schema? _lastSchema;
    private ChunkBoundaryFinder _finder;
    private int _scanSegment;
    private int _scanRow;
    private ulong _rolling;
    private readonly TableChunkerMode _mode;
    private RecordBatch? _emptyTemplate;
    // A reference on the template's memory (its batch borrows it) until the template is copied or the chunker is disposed.
    private IDisposable? _emptyTemplateHold;
    private Task<Prepared>? _ahead;
    private RecordBatch? _aheadBatch;
    private Exception? _fault;
    private bool _emptyTemplateOwned;
    private bool _finished;
    private bool _disposed;

    /// <summary>Starts a table of <paramref name="schema"/>.</summary>
    /// <param name="schema">The table's schema; every batch added must have it (metadata order aside).</param>
    public TableChunker(Schema schema)
        : this(schema, TableChunkerMode.Inline)
    {
    }

    /// <summary>Starts a table of <paramref name="schema"/> whose batches are prepared as <paramref name="mode"/> says.</summary>
    /// <param name="schema">The table's schema; every batch added must have it (metadata order aside).</param>
    /// <param name="mode">Whether each batch is normalised and row-hashed inline or on a worker thread while the caller uses the previous chunks.</param>
    public TableChunker(Schema schema, TableChunkerMode mode)
        : this(schema, ChunkingParameters.Default, mode)
    {
    }

    /// <summary>A chunker with other sizes than the rule's (tests: many chunks in small tables).</summary>
    internal TableChunker(Schema schema, ChunkingParameters parameters, TableChunkerMode mode = TableChunkerMode.Inline)
    {
        ArgumentNullException.ThrowIfNull(schema);
        if (!Enum.IsDefined(mode))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "not a chunker mode");
        }

        _mode = mode;
        _parameters = parameters;
        _finder = new ChunkBoundaryFinder(parameters);
        Schema = CanonicalArrays.Normalize(schema);
        _schemaMessage = DatasetSchemaMessage.EncodeShared(Schema);
        _joinable = [.. Schema.Fields.Select(f => CanonicalJoin.Supports(f.Type))];
    }

    /// <summary>The table's schema with its metadata in canonical order: the schema of every chunk.</summary>
    public Schema Schema { get; }

    /// <summary>Rows added so far.</summary>
    public long RowsAdded { get; private set; }

    /// <summary>Rows returned in chunks so far.</summary>
    public long RowsChunked { get; private set; }

    /// <summary>
    /// Adds the next rows of the table and returns the chunks they complete (possibly none); with
    /// <see cref="TableChunkerMode.PrepareAhead"/>, the chunks the previous batch completed, while
    /// this one is prepared on a worker thread.
    /// </summary>
    /// <param name="batch">The next rows, with the table's schema.</param>
    /// <returns>The completed chunks, in table order.</returns>
    /// <exception cref="ArgumentException">The batch's schema is not the table's.</exception>
    /// <exception cref="InvalidOperationException">After <see cref="Finish"/>.</exception>
    /// <remarks>
    /// A batch that cannot be normalised throws here, or with <see cref="TableChunkerMode.PrepareAhead"/>
    /// at the next <see cref="Add"/> or <see cref="Finish"/>, and at every call after that (the
    /// table has lost rows and cannot go on).
    /// </remarks>
    public IReadOnlyList<TableChunk> Add(RecordBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ThrowIfDone();
        CheckSchema(batch.Schema);
        if (batch.Length <= 2 * PrepareSliceRows)
        {
            return AddChecked(batch);
        }

        // A large batch is prepared in slices: its row hashes then live in pooled arrays that
        // stay in the cache rather than in arrays of its whole length, faulted in page by page
        // (a 256 MiB column took three times as long). Chunks do not depend on batching.
        var chunks = new List<TableChunk>();
        // In long: the last slice of a batch of 2^31 − 1 rows would take an int past its range.
        for (long at = 0; at < batch.Length; at += PrepareSliceRows)
        {
            chunks.AddRange(AddChecked(batch.Slice((int)at, (int)Math.Min(PrepareSliceRows, batch.Length - at))));
        }

        return chunks;
    }

    /// <summary>Rows of a large batch prepared (normalised and row-hashed) as one piece.</summary>
    internal const int PrepareSliceRows = 65_536;

    /// <summary>Rows of pending segments whose hashes and sizes are kept for a second scan (16 MiB of arrays).</summary>
    internal const int DefaultRowArraysKept = 1 << 20;

    /// <summary>Rows of pending segments whose hashes and sizes are kept for a second scan (tests set fewer, down to none).</summary>
    internal int RowArraysKept { get; init; } = DefaultRowArraysKept;

    /// <summary>Rows whose hashes and sizes the chunker holds now.</summary>
    internal long RowsHashedHeld => _pending.Sum(s => (long)s.RowsHashed);

    private List<TableChunk> AddChecked(RecordBatch batch)
    {
        if (_mode == TableChunkerMode.Inline)
        {
            var prepared = Prepare(batch);
            RowsAdded += batch.Length;
            return Take(prepared);
        }

        RowsAdded += batch.Length;

        var previous = _ahead;
        _ahead = Task.Run(() => Prepare(batch));
        _aheadBatch = batch;
        var chunks = TakeCarried();
        if (previous is not null)
        {
            chunks.AddRange(Take(Await(previous)));
        }

        return chunks;
    }

    /// <summary>Checks a batch before it is prepared apart from the chunker (<see cref="Prepare"/>, then <see cref="AddPrepared"/>).</summary>
    /// <exception cref="ArgumentException">The batch's schema is not the table's.</exception>
    /// <exception cref="InvalidOperationException">After <see cref="Finish"/> or a failed batch.</exception>
    internal void CheckBatch(RecordBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ThrowIfDone();
        CheckSchema(batch.Schema);
    }

    /// <summary>
    /// Takes in a batch checked by <see cref="CheckBatch"/> and prepared by <see cref="Prepare"/>
    /// (on any thread), in table order, and returns the chunks it completes, as the inline
    /// <see cref="Add"/> does. The batch must stay alive while <see cref="Holds"/> says so.
    /// </summary>
    internal IReadOnlyList<TableChunk> AddPrepared(RecordBatch batch, Prepared prepared)
    {
        ThrowIfDone();
        RowsAdded += batch.Length;
        return Take(prepared);
    }

    /// <summary>Ends the table after a batch that could not be prepared: every later call throws.</summary>
    internal void Fail(Exception cause) => _fault ??= cause;

    /// <summary>Ends the table and returns its last chunks. A table without rows is one chunk of zero rows.</summary>
    /// <returns>The remaining chunks, in table order.</returns>
    public IReadOnlyList<TableChunk> Finish()
    {
        ThrowIfDone();
        var chunks = TakeCarried();
        if (_ahead is { } ahead)
        {
            _ahead = null;
            chunks.AddRange(Take(Await(ahead)));
        }

        _finished = true;
        if (RowsAdded > 0)
        {
            chunks.AddRange(Drain(final: true));
            return chunks;
        }

        var empty = _emptyTemplate is { } template ? template.Slice(0, 0) : new RecordBatchBuilder(Schema).Build();
        var canonical = CanonicalArrays.Normalize(empty);
        return [new TableChunk(canonical, 0, CanonicalEncoder.EncodedLength(canonical))];
    }

    /// <summary>The chunks Detach kept for the caller, now handed over.</summary>
    private List<TableChunk> TakeCarried()
    {
        var chunks = new List<TableChunk>(_carried);
        _carried.Clear();
        return chunks;
    }

    /// <summary>The part of adding a batch that needs no chunk state, safe on any thread: its canonical form, row hashes and nominal sizes.</summary>
    internal static Prepared Prepare(RecordBatch batch)
    {
        var canonical = CanonicalArrays.Normalize(batch);
        if (canonical.Length == 0)
        {
            return new Prepared(canonical, null);
        }

        var segment = new Segment(batch, canonical);
        try
        {
            RowHasher.ComputeCanonical(canonical, segment.Rolling, segment.Bits);
        }
        catch
        {
            segment.Dispose();
            throw;
        }

        return new Prepared(canonical, segment);
    }

    /// <summary>The prepared batch, or its failure, which then ends the table.</summary>
    private Prepared Await(Task<Prepared> task)
    {
        try
        {
            return task.GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            _fault = e;
            throw;
        }
    }

    /// <summary>Rolls a prepared batch's row hashes on from the table's, queues its rows and cuts the chunks they complete.</summary>
    private List<TableChunk> Take(Prepared prepared)
    {
        if (_emptyTemplate is null)
        {
            _emptyTemplate = prepared.Canonical;
            _emptyTemplateHold = prepared.Canonical.Owner?.Acquire();
        }

        if (prepared.Segment is not { } segment)
        {
            return [];
        }

        _rolling = segment.RollFrom(_rolling);
        _pending.Add(segment);
        return Drain(final: false);
    }

    /// <summary>Whether rows of <paramref name="batch"/> are still waiting for their chunk (keep it undisposed until this is false).</summary>
    /// <param name="batch">A batch given to <see cref="Add"/>.</param>
    /// <returns>True while the chunker holds slices of it.</returns>
    public bool Holds(RecordBatch batch) =>
        _pending.Exists(s => ReferenceEquals(s.Original, batch) || ReferenceEquals(s.Canonical, batch))
        || (_ahead is not null && ReferenceEquals(_aheadBatch, batch));

    /// <summary>
    /// Copies the rows still waiting for their chunk into memory the chunker owns, so every batch
    /// given so far may be disposed, or its memory reused, from here on (<see cref="Holds"/> is
    /// then false for each). At most the rows since the last cut are copied: under a chunk.
    /// </summary>
    /// <remarks>
    /// With <see cref="TableChunkerMode.PrepareAhead"/> this waits for the batch being prepared
    /// and takes it in; the chunks it completes are copied too and come first from the next
    /// <see cref="Add"/> or <see cref="Finish"/>. A batch that could not be prepared throws here.
    /// </remarks>
    public void Detach()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_ahead is { } ahead)
        {
            _ahead = null;
            foreach (var chunk in Take(Await(ahead)))
            {
                _carried.Add(chunk with { Batch = OwnedCopy(chunk.Batch) });
            }
        }

        for (int i = 0; i < _pending.Count; i++)
        {
            int shifted = _pending[i].Detach();
            if (i == _scanSegment)
            {
                _scanRow -= shifted;
            }
        }

        if (_emptyTemplate is { } template && !_emptyTemplateOwned)
        {
            _emptyTemplate = OwnedCopy(CanonicalArrays.Normalize(template.Slice(0, 0)));
            _emptyTemplateOwned = true;
            Interlocked.Exchange(ref _emptyTemplateHold, null)?.Dispose();
        }
    }

    /// <summary>Returns the pooled row arrays (waiting for a batch being prepared ahead, if any).</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            if (_ahead is { } ahead)
            {
                _ahead = null;
                // Its failure, if any, was the caller's to see at the next Add or Finish, which will not come.
                ((Task)ahead).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing).GetAwaiter().GetResult();
                if (ahead.IsCompletedSuccessfully)
                {
                    ahead.Result.Segment?.Dispose();
                }
            }

            _pending.ForEach(s => s.Dispose());
            _pending.Clear();
            Interlocked.Exchange(ref _emptyTemplateHold, null)?.Dispose();
        }
    }

    private void ThrowIfDone()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_fault is not null)
        {
            throw new InvalidOperationException("an earlier batch of the table could not be chunked", _fault);
        }

        if (_finished)
        {
            throw new InvalidOperationException("the table is finished");
        }
    }

    private void CheckSchema(Schema schema)
    {
        if (ReferenceEquals(schema, _lastSchema) || ReferenceEquals(schema, Schema))
        {
            return;
        }

        if (!DatasetSchemaMessage.EncodeShared(schema).Span.SequenceEqual(_schemaMessage.Span))
        {
            throw new ArgumentException($"the batch's schema is not the table's:\n{schema}\nexpected:\n{Schema}", nameof(schema));
        }

        _lastSchema = schema;
    }

    /// <summary>Scans the rows not yet scanned and cuts every chunk that ends among them; at the end of the table, the rest too.</summary>
    private List<TableChunk> Drain(bool final)
    {
        var chunks = new List<TableChunk>();
        while (true)
        {
            int cutRow = -1;
            while (_scanSegment < _pending.Count)
            {
                var segment = _pending[_scanSegment];
                segment.HashRows();
                int from = _scanRow;
                int taken = _finder.FindBoundary(segment.Rolling.AsSpan(from, segment.Length - from), segment.Bits.AsSpan(from, segment.Length - from));
                if (taken >= 0)
                {
                    cutRow = from + taken;
                    break;
                }

                _scanSegment++;
                _scanRow = _scanSegment < _pending.Count ? _pending[_scanSegment].Start : 0;
                ReleaseScannedRows();
            }

            if (cutRow >= 0)
            {
                chunks.Add(Cut(_scanSegment, cutRow));
            }
            else if (final && _pending.Count > 0)
            {
                chunks.Add(Cut(_pending.Count - 1, _pending[^1].Length));
            }
            else
            {
                return chunks;
            }
        }
    }

    /// <summary>
    /// Lets go of the row arrays of segments scanned whole while the open chunk's rows hold more
    /// than <see cref="RowArraysKept"/> rows of them, oldest first. Only a chunk of many tiny rows
    /// gets there (2^23 Null or Boolean rows held 128 MiB of hashes and sizes before its cut); a
    /// segment let go is hashed again only when a cut shortened to 1 MiB scans it a second time.
    /// </summary>
    private void ReleaseScannedRows()
    {
        long held = RowsHashedHeld;
        for (int s = 0; s < _scanSegment && held > RowArraysKept; s++)
        {
            held -= _pending[s].RowsHashed;
            _pending[s].ReleaseRows();
        }
    }

    /// <summary>
    /// Makes a chunk of the pending rows before row <paramref name="endRow"/> of segment
    /// <paramref name="endSegment"/>, shortened to the longest prefix that forms one block of at
    /// most 1 MiB when they do not; the rows after the chunk are scanned again from scratch.
    /// </summary>
    private TableChunk Cut(int endSegment, int endRow)
    {
        var parts = new List<Part>();
        for (int s = 0; s <= endSegment; s++)
        {
            var segment = _pending[s];
            int end = s == endSegment ? endRow : segment.Length;
            if (end > segment.Start)
            {
                parts.Add(new Part(segment.Canonical, segment.Start, end - segment.Start));
            }
        }

        int rows = parts.Sum(p => p.Count);
        var (batch, length) = Materialize(parts);
        if (rows > 1 && (batch is null || length > _parameters.MaxBlockBytes))
        {
            (batch, length, rows) = LongestFittingPrefix(parts, batch, rows);
        }

        var chunk = new TableChunk(batch!, RowsChunked, length);
        Consume(rows);
        return chunk;
    }

    /// <summary>The largest k (at least 1) such that the first k rows form a block of at most 1 MiB; block lengths grow with k, so a binary search finds it.</summary>
    private (RecordBatch Batch, long Length, int Rows) LongestFittingPrefix(List<Part> parts, RecordBatch? whole, int rows)
    {
        (RecordBatch? Batch, long Length) Prefix(int k)
        {
            if (whole is not null)
            {
                var canonical = CanonicalSlice.Of(whole, 0, k);
                return (canonical, CanonicalEncoder.EncodedLengthOfCanonical(canonical));
            }

            return Materialize(Take(parts, k));
        }

        int lo = 1, hi = rows - 1;
        while (lo < hi)
        {
            int mid = lo + ((hi - lo + 1) / 2);
            var (batch, length) = Prefix(mid);
            if (batch is not null && length <= _parameters.MaxBlockBytes)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        var (result, resultLength) = Prefix(lo);
        return (result!, resultLength, lo);
    }

    private static List<Part> Take(List<Part> parts, int rows)
    {
        var taken = new List<Part>();
        foreach (var part in parts)
        {
            if (rows == 0)
            {
                break;
            }

            int count = Math.Min(rows, part.Count);
            taken.Add(part with { Count = count });
            rows -= count;
        }

        return taken;
    }

    /// <summary>The canonical batch of the parts' rows and its block length, or null when they cannot form one block (an index type too narrow for them).</summary>
    private (RecordBatch? Batch, long Length) Materialize(List<Part> parts)
    {
        RecordBatch batch;
        if (parts.Count == 1)
        {
            var part = parts[0];
            batch = CanonicalSlice.Of(part.Batch, part.Start, part.Count);
        }
        else
        {
            int rows = parts.Sum(p => p.Count);
            var columns = new ArrayData[Schema.Fields.Length];
            for (int c = 0; c < columns.Length; c++)
            {
                var slices = parts.Select(p => CanonicalSlice.Of(p.Batch.Columns[c], p.Start, p.Count)).ToList();
                if (JoinColumn(slices, Schema.Fields[c].Type, _joinable[c]) is not { } column)
                {
                    return (null, 0);
                }

                columns[c] = column;
            }

            batch = new RecordBatch(Schema, rows, columns);
        }

        return (batch, CanonicalEncoder.EncodedLengthOfCanonical(batch));
    }

    /// <summary>
    /// The canonical column of canonical slices end to end, or null when the rows cannot share one
    /// array of the column's type (a dictionary or run-end type too narrow for them together).
    /// </summary>
    private static ArrayData? JoinColumn(List<ArrayData> slices, ArrowType type, bool joinable)
    {
        if (joinable)
        {
            return CanonicalJoin.Join(slices);
        }

        // Views, unions, run-end encoded arrays…: concatenate with int64 indices and run ends, normalise, narrow back.
        bool widen = IndexWidening.Applies(type);
        var joined = ArrayConcatenation.Concatenate([.. widen ? slices.Select(IndexWidening.Widen) : slices]);
        var canonical = CanonicalArrays.Normalize(joined);
        return widen ? IndexWidening.Narrow(canonical, type) : canonical;
    }

    /// <summary>Drops the first <paramref name="rows"/> pending rows (now in a chunk) and starts scanning a new chunk.</summary>
    private void Consume(int rows)
    {
        RowsChunked += rows;
        while (rows > 0)
        {
            var segment = _pending[0];
            int take = Math.Min(rows, segment.Length - segment.Start);
            segment.Start += take;
            rows -= take;
            if (segment.Start == segment.Length)
            {
                segment.Dispose();
                _pending.RemoveAt(0);
            }
        }

        _finder.Reset();
        _scanSegment = 0;
        _scanRow = _pending.Count > 0 ? _pending[0].Start : 0;
    }

    /// <summary>
    /// A copy of a canonical batch in managed memory: its canonical block encoded into an array and
    /// read back over it (a canonical batch round-trips exactly), so it outlives the batch's memory.
    /// </summary>
    private static RecordBatch OwnedCopy(RecordBatch canonical)
    {
        using var encoded = new MemoryStream();
        CanonicalEncoder.EncodeCanonical(canonical, encoded);
        using var reader = new ArrowStreamReader(encoded.GetBuffer().AsMemory(0, checked((int)encoded.Length)));
        return reader.ReadNext() ?? throw new InvalidOperationException("a canonical block read back without its batch");
    }

    private readonly record struct Part(RecordBatch Batch, int Start, int Count);

    /// <summary>A batch in canonical form with its rows' hashes and sizes (null without rows).</summary>
    internal sealed record Prepared(RecordBatch Canonical, Segment? Segment)
    {
        /// <summary>Returns the pooled row arrays of a batch prepared but never taken in.</summary>
        public void Discard() => Segment?.Dispose();
    }

    /// <summary>A batch whose rows are not all in chunks yet, with each row's rolling hash and nominal bits (pooled arrays).</summary>
    internal sealed class Segment(RecordBatch original, RecordBatch canonical) : IDisposable
    {
        private bool _owned;

        public RecordBatch Original { get; private set; } = original;

        public RecordBatch Canonical { get; private set; } = canonical;

        public int Length => Canonical.Length;

        /// <summary>First row not yet in a chunk.</summary>
        public int Start { get; set; }

        public ulong[] Rolling { get; private set; } = ArrayPool<ulong>.Shared.Rent(canonical.Length);

        public long[] Bits { get; private set; } = ArrayPool<long>.Shared.Rent(canonical.Length);

        /// <summary>The table's rolling hash before the segment's first row (its rows' rolling hashes go on from it).</summary>
        public ulong RollingBefore { get; private set; }

        // Let go by ReleaseRows (a segment always has rows, so its rented arrays are never empty).
        private bool Released => Rolling.Length == 0;

        /// <summary>Turns the row hashes into rolling hashes that go on from <paramref name="before"/>; returns the last row's.</summary>
        public ulong RollFrom(ulong before)
        {
            RollingBefore = before;
            ulong g = before;
            var rolling = Rolling.AsSpan(0, Length);
            for (int i = 0; i < rolling.Length; i++)
            {
                g = ChunkingRule.Roll(g, rolling[i]);
                rolling[i] = g;
            }

            return g;
        }

        /// <summary>Rows whose hashes and sizes the segment holds now (none once let go).</summary>
        public int RowsHashed => Rolling.Length == 0 ? 0 : Length;

        /// <summary>Returns the row arrays to the pool; <see cref="HashRows"/> computes them again.</summary>
        public void ReleaseRows()
        {
            if (Rolling.Length > 0)
            {
                ArrayPool<ulong>.Shared.Return(Rolling);
                ArrayPool<long>.Shared.Return(Bits);
                Rolling = [];
                Bits = [];
            }
        }

        /// <summary>Computes the row arrays again after <see cref="ReleaseRows"/>: the same hashes and sizes, rolled on from <see cref="RollingBefore"/>.</summary>
        public void HashRows()
        {
            if (!Released)
            {
                return;
            }

            Rolling = ArrayPool<ulong>.Shared.Rent(Length);
            Bits = ArrayPool<long>.Shared.Rent(Length);
            RowHasher.ComputeCanonical(Canonical, Rolling, Bits);
            RollFrom(RollingBefore);
        }

        /// <summary>Replaces the rows not yet chunked by a copy the chunker owns, with the per-row arrays shifted to match.</summary>
        /// <returns>How many rows the segment's row numbers moved down by.</returns>
        public int Detach()
        {
            if (_owned)
            {
                return 0;
            }

            int shifted = Start;
            if (shifted > 0)
            {
                // The copy's rows roll on from the rolling hash of the row before them.
                HashRows();
                RollingBefore = Rolling[shifted - 1];
            }

            var copy = OwnedCopy(CanonicalSlice.Of(Canonical, Start, Length - Start));
            if (!Released)
            {
                Array.Copy(Rolling, Start, Rolling, 0, copy.Length);
                Array.Copy(Bits, Start, Bits, 0, copy.Length);
            }

            Start = 0;
            Original = copy;
            Canonical = copy;
            _owned = true;
            return shifted;
        }

        public void Dispose() => ReleaseRows();
    }
}

/// <summary>How a <see cref="TableChunker"/> prepares each batch (normalises it and hashes its rows).</summary>
public enum TableChunkerMode
{
    /// <summary>In <see cref="TableChunker.Add"/>, which returns the chunks the batch completes.</summary>
    Inline,

    /// <summary>
    /// On a worker thread, overlapping the caller's work on the chunks of the batch before:
    /// <see cref="TableChunker.Add"/> returns the chunks the previous batch completed, one batch
    /// behind (the same chunks in the same order as <see cref="Inline"/>).
    /// </summary>
    PrepareAhead,
}
