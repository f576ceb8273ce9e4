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
/// may likewise share memory with its batches. One thread at a time.
/// </remarks>
public sealed class TableChunker : IDisposable
{
    private readonly ChunkingParameters _parameters;
    private readonly byte[] _schemaMessage;
    private readonly bool[] _joinable;
    private readonly List<Segment> _pending = [];
    private Schema? _lastSchema;
    private ChunkBoundaryFinder _finder;
    private int _scanSegment;
    private int _scanRow;
    private ulong _rolling;
    private RecordBatch? _emptyTemplate;
    private bool _emptyTemplateOwned;
    private bool _finished;
    private bool _disposed;

    /// <summary>Starts a table of <paramref name="schema"/>.</summary>
    /// <param name="schema">The table's schema; every batch added must have it (metadata order aside).</param>
    public TableChunker(Schema schema)
        : this(schema, ChunkingParameters.Default)
    {
    }

    /// <summary>A chunker with other sizes than the rule's (tests: many chunks in small tables).</summary>
    internal TableChunker(Schema schema, ChunkingParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(schema);
        _parameters = parameters;
        _finder = new ChunkBoundaryFinder(parameters);
        Schema = CanonicalArrays.Normalize(schema);
        _schemaMessage = DatasetSchemaMessage.Encode(Schema);
        _joinable = [.. Schema.Fields.Select(f => CanonicalJoin.Supports(f.Type))];
    }

    /// <summary>The table's schema with its metadata in canonical order: the schema of every chunk.</summary>
    public Schema Schema { get; }

    /// <summary>Rows added so far.</summary>
    public long RowsAdded { get; private set; }

    /// <summary>Rows returned in chunks so far.</summary>
    public long RowsChunked { get; private set; }

    /// <summary>Adds the next rows of the table and returns the chunks they complete (possibly none).</summary>
    /// <param name="batch">The next rows, with the table's schema.</param>
    /// <returns>The completed chunks, in table order.</returns>
    /// <exception cref="ArgumentException">The batch's schema is not the table's.</exception>
    /// <exception cref="InvalidOperationException">After <see cref="Finish"/>.</exception>
    public IReadOnlyList<TableChunk> Add(RecordBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ThrowIfDone();
        CheckSchema(batch.Schema);
        var canonical = CanonicalArrays.Normalize(batch);
        _emptyTemplate ??= canonical;
        int n = canonical.Length;
        if (n == 0)
        {
            return [];
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

        var rolling = segment.Rolling;
        for (int i = 0; i < n; i++)
        {
            _rolling = ChunkingRule.Roll(_rolling, rolling[i]);
            rolling[i] = _rolling;
        }

        _pending.Add(segment);
        RowsAdded += n;
        return Drain(final: false);
    }

    /// <summary>Ends the table and returns its last chunks. A table without rows is one chunk of zero rows.</summary>
    /// <returns>The remaining chunks, in table order.</returns>
    public IReadOnlyList<TableChunk> Finish()
    {
        ThrowIfDone();
        _finished = true;
        if (RowsAdded > 0)
        {
            return Drain(final: true);
        }

        var empty = _emptyTemplate is { } template ? template.Slice(0, 0) : new RecordBatchBuilder(Schema).Build();
        var canonical = CanonicalArrays.Normalize(empty);
        return [new TableChunk(canonical, 0, CanonicalEncoder.EncodedLength(canonical))];
    }

    /// <summary>Whether rows of <paramref name="batch"/> are still waiting for their chunk (keep it undisposed until this is false).</summary>
    /// <param name="batch">A batch given to <see cref="Add"/>.</param>
    /// <returns>True while the chunker holds slices of it.</returns>
    public bool Holds(RecordBatch batch) => _pending.Exists(s => ReferenceEquals(s.Original, batch) || ReferenceEquals(s.Canonical, batch));

    /// <summary>
    /// Copies the rows still waiting for their chunk into memory the chunker owns, so every batch
    /// given so far may be disposed, or its memory reused, from here on (<see cref="Holds"/> is
    /// then false for each). At most the rows since the last cut are copied: under a chunk.
    /// </summary>
    public void Detach()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
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
        }
    }

    /// <summary>Returns the pooled row arrays.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _pending.ForEach(s => s.Dispose());
            _pending.Clear();
        }
    }

    private void ThrowIfDone()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
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

        if (!DatasetSchemaMessage.Encode(schema).AsSpan().SequenceEqual(_schemaMessage))
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
                int from = _scanRow;
                int taken = _finder.FindBoundary(segment.Rolling.AsSpan(from, segment.Length - from), segment.Bits.AsSpan(from, segment.Length - from));
                if (taken >= 0)
                {
                    cutRow = from + taken;
                    break;
                }

                _scanSegment++;
                _scanRow = _scanSegment < _pending.Count ? _pending[_scanSegment].Start : 0;
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

    /// <summary>A batch whose rows are not all in chunks yet, with each row's rolling hash and nominal bits (pooled arrays).</summary>
    private sealed class Segment(RecordBatch original, RecordBatch canonical) : IDisposable
    {
        private bool _owned;

        public RecordBatch Original { get; private set; } = original;

        public RecordBatch Canonical { get; private set; } = canonical;

        public int Length => Canonical.Length;

        /// <summary>First row not yet in a chunk.</summary>
        public int Start { get; set; }

        public ulong[] Rolling { get; private set; } = ArrayPool<ulong>.Shared.Rent(canonical.Length);

        public long[] Bits { get; private set; } = ArrayPool<long>.Shared.Rent(canonical.Length);

        /// <summary>Replaces the rows not yet chunked by a copy the chunker owns, with the per-row arrays shifted to match.</summary>
        /// <returns>How many rows the segment's row numbers moved down by.</returns>
        public int Detach()
        {
            if (_owned)
            {
                return 0;
            }

            int shifted = Start;
            var copy = OwnedCopy(CanonicalSlice.Of(Canonical, Start, Length - Start));
            Array.Copy(Rolling, Start, Rolling, 0, copy.Length);
            Array.Copy(Bits, Start, Bits, 0, copy.Length);
            Start = 0;
            Original = copy;
            Canonical = copy;
            _owned = true;
            return shifted;
        }

        public void Dispose()
        {
            if (Rolling.Length > 0)
            {
                ArrayPool<ulong>.Shared.Return(Rolling);
                ArrayPool<long>.Shared.Return(Bits);
                Rolling = [];
                Bits = [];
            }
        }
    }
}
