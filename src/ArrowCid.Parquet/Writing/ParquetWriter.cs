using System.Buffers.Binary;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;
using ArrowSchema = ArrowCid.Arrow.Types.Schema;
using ArrowCid.Parquet.ArrowMetadata;
using ArrowCid.Parquet.Metadata;

namespace ArrowCid.Parquet.Writing;

/// <summary>
/// Writes Arrow record batches as one Parquet file. Rows are buffered (as slices of the caller's
/// batches, no copy) until the current row group holds <see cref="ParquetWriteOptions.RowGroupSize"/>
/// rows; the group's column chunks are then shredded and encoded, each into a buffer of its own,
/// and written in column order. With <see cref="ParquetWriteOptions.MaxDegreeOfParallelism"/>
/// above 1 the chunks are encoded on up to that many threads, and a full row group is handed
/// to them while the caller goes on adding rows: up to <see cref="RowGroupsInFlight"/> groups
/// are encoded at a time, so the cores are not left idle while one large chunk finishes. The
/// file's bytes do not depend on the degree; memory is bounded by those row groups and their
/// encoded chunks. <see cref="Close"/> writes the rest, the page index and the footer.
/// </summary>
public sealed class ParquetWriter : IDisposable
{
    private static readonly byte[] Magic = "PAR1"u8.ToArray();

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly PositionedOutput _output;
    private readonly ParquetWriteOptions _options;
    private readonly ParquetSchemaPlan _plan;
    private readonly ColumnChunkWriter[] _chunkWriters;
    private readonly int _degree;
    private readonly int[] _scheduleOrder;
    private readonly List<RecordBatch> _pending = [];
    private readonly List<RowGroup> _rowGroups = [];
    private readonly List<List<ColumnChunkWriter.PageIndexEntry>> _pageIndexes = [];
    private readonly Queue<(RecordBatch Batch, long EndRow)> _owned = new();
    private readonly Queue<(Task<EncodedChunk>[] Chunks, int Rows)> _inFlight = new();
    private readonly TaskScheduler? _scheduler;
    private ConcurrentExclusiveSchedulerPair? _schedulers;
    private long _inFlightRows;
    private int _pendingRows;
    private long _rows;
    private bool _closed;
    private bool _failed;

    /// <summary>
    /// Starts a file for <paramref name="arrowSchema"/> on <paramref name="stream"/> (written
    /// sequentially; it need not be seekable). Throws <see cref="NotSupportedException"/> when a
    /// field's type has no Parquet form (intervals, unions, run-end encoded, empty structs).
    /// </summary>
    public ParquetWriter(Stream stream, ArrowSchema arrowSchema, ParquetWriteOptions? options = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(arrowSchema);
        _options = options ?? ParquetWriteOptions.Default;
        _options.Validate();
        _plan = ParquetSchemaPlan.From(arrowSchema);
        // Built up front so an encoding that cannot apply to a column is refused here, not mid-file.
        _chunkWriters = [.. _plan.Leaves.Select(leaf => new ColumnChunkWriter(leaf, _options))];
        _degree = _options.MaxDegreeOfParallelism == 0 ? Environment.ProcessorCount : _options.MaxDegreeOfParallelism;
        _scheduleOrder = ScheduleOrder(_plan);
        if (_degree > 1)
        {
            // One queue per writer, run in order on at most _degree pool threads at a time.
            _schedulers = new ConcurrentExclusiveSchedulerPair(TaskScheduler.Default, _degree);
            _scheduler = _schedulers.ConcurrentScheduler;
        }
        Schema = arrowSchema;
        _stream = stream;
        _leaveOpen = leaveOpen;
        _output = new PositionedOutput(stream);
        _output.Write(Magic);
    }

    /// <summary>Row groups encoded at the same time when encoding is parallel: the next group's chunks keep the cores busy while one group's largest chunk finishes.</summary>
    public const int RowGroupsInFlight = 2;

    /// <summary>The Arrow schema every batch must have.</summary>
    public ArrowSchema Schema { get; }

    /// <summary>The Parquet schema elements written to the footer (root first).</summary>
    public IReadOnlyList<SchemaElement> ParquetSchema => _plan.Elements;

    /// <summary>Rows accepted so far.</summary>
    public long RowCount => _rows + _inFlightRows + _pendingRows;

    /// <summary>Adds a batch's rows; full row groups are encoded and written (in order) as they fill.</summary>
    public void Write(RecordBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ObjectDisposedException.ThrowIf(_closed, this);
        if (!batch.Schema.Equals(Schema))
        {
            throw new ArgumentException($"the batch's schema differs from the writer's: {ArrayEquality.SchemaDifference(Schema, batch.Schema)}", nameof(batch));
        }
        Guard(() =>
        {
            int offset = 0;
            while (offset < batch.Length)
            {
                int take = Math.Min(batch.Length - offset, _options.RowGroupSize - _pendingRows);
                _pending.Add(offset == 0 && take == batch.Length ? batch : batch.Slice(offset, take));
                _pendingRows += take;
                offset += take;
                if (_pendingRows == _options.RowGroupSize)
                {
                    FlushRowGroup();
                }
            }
        });
    }

    /// <summary>
    /// Rows accepted but not yet written to the file: those of the row group being filled (at
    /// most <see cref="ParquetWriteOptions.RowGroupSize"/> - 1 between calls) and, with parallel
    /// encoding, of up to <see cref="RowGroupsInFlight"/> full groups still being encoded.
    /// </summary>
    public long BufferedRows => _inFlightRows + _pendingRows;

    /// <summary>
    /// Like <see cref="Write"/>, and takes ownership of <paramref name="batch"/>: it is disposed as
    /// soon as its last row is in a written row group (or when the writer is disposed, or at once
    /// when it is refused). Batches that hold mappings or leases (zero-copy reads from a
    /// repository) are so released one row group at a time, keeping what is held bounded by the
    /// row group size.
    /// </summary>
    public void WriteOwned(RecordBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        try
        {
            Write(batch);
        }
        catch
        {
            batch.Dispose();
            throw;
        }
        _owned.Enqueue((batch, RowCount));
        ReleaseWritten();
    }

    /// <summary>
    /// Ends the row group being filled now (nothing when no rows are buffered), so the next batch
    /// starts a new one: e.g. one row group per batch, which a reader turns back into the same
    /// batches. With parallel encoding the group may reach the file only on a later call.
    /// </summary>
    public void EndRowGroup()
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        Guard(FlushRowGroup);
    }

    /// <summary>Writes buffered rows as a last row group, the page index and the footer.</summary>
    public void Close()
    {
        if (_closed)
        {
            return;
        }
        ObjectDisposedException.ThrowIf(_failed, this);
        Guard(() =>
        {
            FlushRowGroup();
            while (_inFlight.Count > 0)
            {
                WriteOldestInFlight();
            }
            WritePageIndexes();
            WriteFooter();
            _output.Flush();
        });
        _closed = true;
    }

    /// <summary>Closes the file (unless a write failed) and the stream unless left open.</summary>
    public void Dispose()
    {
        try
        {
            if (!_failed)
            {
                Close();
            }
        }
        finally
        {
            _closed = true;
            // Encoding tasks read the batches: none may still run when they are released.
            AbandonInFlight();
            _schedulers?.Complete();
            _schedulers = null;
            while (_owned.TryDequeue(out var owned))
            {
                owned.Batch.Dispose();
            }
            if (!_leaveOpen)
            {
                _stream.Dispose();
            }
        }
    }

    private void Guard(Action action)
    {
        try
        {
            action();
        }
        catch
        {
            _failed = true;
            throw;
        }
    }

    private void FlushRowGroup()
    {
        if (_pendingRows == 0)
        {
            return;
        }
        RecordBatch[] batches = [.. _pending];
        int rows = _pendingRows;
        _pending.Clear();
        _pendingRows = 0;
        int leaves = _plan.Leaves.Count;
        if (_scheduler is null || leaves == 0)
        {
            var encoded = new EncodedChunk?[leaves];
            try
            {
                for (int i = 0; i < leaves; i++)
                {
                    encoded[i] = EncodeChunk(i, batches, rows);
                }
                WriteRowGroup(encoded!, rows);
            }
            finally
            {
                foreach (EncodedChunk? item in encoded)
                {
                    item?.Bytes.Dispose();
                }
            }
            ReleaseWritten();
            return;
        }
        // Queued costliest first, after the chunks of the groups already in flight.
        var tasks = new Task<EncodedChunk>[leaves];
        foreach (int i in _scheduleOrder)
        {
            tasks[i] = Task.Factory.StartNew(() => EncodeChunk(i, batches, rows), CancellationToken.None, TaskCreationOptions.DenyChildAttach, _scheduler);
        }
        _inFlight.Enqueue((tasks, rows));
        _inFlightRows += rows;
        while (_inFlight.Count > RowGroupsInFlight)
        {
            WriteOldestInFlight();
        }
    }

    /// <summary>Waits for the oldest row group in flight and writes it (its exception, if a chunk failed, is rethrown as it was thrown).</summary>
    private void WriteOldestInFlight()
    {
        (Task<EncodedChunk>[] tasks, int rows) = _inFlight.Dequeue();
        WaitQuietly(tasks);
        try
        {
            // GetResult rethrows a failed chunk's own exception, as the serial writer would.
            EncodedChunk[] encoded = [.. tasks.Select(t => t.GetAwaiter().GetResult())];
            WriteRowGroup(encoded, rows);
        }
        catch
        {
            // The caller may release its batches as soon as this throws (WriteOwned does), so
            // no later group's encoder may still be reading them.
            AbandonInFlight();
            throw;
        }
        finally
        {
            DisposeChunks(tasks);
        }
        _inFlightRows -= rows;
        ReleaseWritten();
    }

    /// <summary>Waits for every row group still being encoded and drops its chunks.</summary>
    private void AbandonInFlight()
    {
        while (_inFlight.TryDequeue(out var group))
        {
            WaitQuietly(group.Chunks);
            DisposeChunks(group.Chunks);
        }
        _inFlightRows = 0;
    }

    private static void DisposeChunks(Task<EncodedChunk>[] tasks)
    {
        foreach (Task<EncodedChunk> task in tasks)
        {
            if (task.IsCompletedSuccessfully)
            {
                task.Result.Bytes.Dispose();
            }
        }
    }

    private static void WaitQuietly(Task[] tasks)
    {
        try
        {
            Task.WaitAll(tasks);
        }
        catch (AggregateException)
        {
            // Inspected task by task by the caller.
        }
    }

    /// <summary>Places a row group's encoded chunks in the file in column order.</summary>
    private void WriteRowGroup(EncodedChunk[] encoded, int rows)
    {
        var chunks = new List<ColumnChunk>(encoded.Length);
        var indexes = new List<ColumnChunkWriter.PageIndexEntry>(encoded.Length);
        long groupStart = _output.Position;
        long uncompressed = 0;
        foreach ((ColumnChunk chunk, ColumnChunkWriter.PageIndexEntry index, PooledByteWriter bytes) in encoded)
        {
            ColumnChunkWriter.Relocate(chunk, index, _output.Position);
            _output.Write(bytes.WrittenSpan);
            chunks.Add(chunk);
            indexes.Add(index);
            uncompressed += chunk.MetaData!.TotalUncompressedSize;
        }
        _rowGroups.Add(new RowGroup
        {
            Columns = chunks,
            NumRows = rows,
            TotalByteSize = uncompressed,
            FileOffset = groupStart,
            TotalCompressedSize = _output.Position - groupStart,
            Ordinal = _rowGroups.Count <= short.MaxValue ? (short)_rowGroups.Count : null,
        });
        _pageIndexes.Add(indexes);
        _rows += rows;
    }

    /// <summary>
    /// Leaf indexes by decreasing expected encoding work, the order their tasks are queued in (a
    /// group ends when its slowest chunk does, so a large chunk started last would leave the
    /// other cores idle). Expected work: bytes per value of the physical type
    /// (byte arrays counted as 16), more for leaves inside lists, which have more entries than rows.
    /// </summary>
    private static int[] ScheduleOrder(ParquetSchemaPlan plan) =>
        [.. Enumerable.Range(0, plan.Leaves.Count)
            .OrderByDescending(i => (plan.Leaves[i].Width == 0 ? 16 : plan.Leaves[i].Width) * (1 + plan.Leaves[i].MaxRepetitionLevel))
            .ThenBy(i => i)];

    /// <summary>Shreds and encodes leaf <paramref name="leafIndex"/> of the pending rows into a chunk buffer of its own.</summary>
    private EncodedChunk EncodeChunk(int leafIndex, RecordBatch[] batches, int rows)
    {
        LeafPlan leaf = _plan.Leaves[leafIndex];
        using var buffer = new ColumnBuffer(leaf);
        int column = leaf.Chain[0].ArrowChildIndex;
        bool flat = _options.BulkShredding && FlatShredder.Applies(leaf);
        foreach (RecordBatch batch in batches)
        {
            ArrayData array = batch.Column(column);
            if (!flat || array.Length != batch.Length || !FlatShredder.TryShred(leaf, array, buffer))
            {
                LevelShredder.ShredRows(leaf, array, batch.Length, buffer);
            }
        }
        var bytes = new PooledByteWriter();
        try
        {
            (ColumnChunk chunk, ColumnChunkWriter.PageIndexEntry index) = _chunkWriters[leafIndex].Write(bytes, buffer, rows);
            return new EncodedChunk(chunk, index, bytes);
        }
        catch
        {
            bytes.Dispose();
            throw;
        }
    }

    /// <summary>A column chunk encoded into its own buffer, offsets counted from the chunk's start.</summary>
    private sealed record EncodedChunk(ColumnChunk Chunk, ColumnChunkWriter.PageIndexEntry Index, PooledByteWriter Bytes);

    /// <summary>Disposes owned batches whose rows are all in written row groups.</summary>
    private void ReleaseWritten()
    {
        while (_owned.TryPeek(out var owned) && owned.EndRow <= _rows)
        {
            _owned.Dequeue().Batch.Dispose();
        }
    }

    private void WritePageIndexes()
    {
        if (!_options.PageIndex)
        {
            return;
        }
        // PageIndex.md: all column indexes, then all offset indexes, between the data and the footer.
        for (int g = 0; g < _rowGroups.Count; g++)
        {
            for (int c = 0; c < _rowGroups[g].Columns.Count; c++)
            {
                if (_pageIndexes[g][c].ColumnIndex is { } columnIndex && _options.Statistics)
                {
                    ColumnChunk chunk = _rowGroups[g].Columns[c];
                    chunk.ColumnIndexOffset = _output.Position;
                    chunk.ColumnIndexLength = _output.WriteThrift(columnIndex);
                }
            }
        }
        for (int g = 0; g < _rowGroups.Count; g++)
        {
            for (int c = 0; c < _rowGroups[g].Columns.Count; c++)
            {
                ColumnChunk chunk = _rowGroups[g].Columns[c];
                chunk.OffsetIndexOffset = _output.Position;
                chunk.OffsetIndexLength = _output.WriteThrift(_pageIndexes[g][c].OffsetIndex);
            }
        }
    }

    private void WriteFooter()
    {
        var keyValues = _options.KeyValueMetadata.Select(p => new KeyValue { Key = p.Key, Value = p.Value }).ToList();
        if (_options.StoreArrowSchema && !keyValues.Exists(k => k.Key == ArrowSchemaMetadata.Key))
        {
            keyValues.Add(new KeyValue { Key = ArrowSchemaMetadata.Key, Value = ArrowSchemaMetadata.Encode(Schema) });
        }
        var footer = new FileMetaData
        {
            Version = 2,
            Schema = _plan.Elements,
            NumRows = _rows,
            RowGroups = _rowGroups,
            KeyValueMetadata = keyValues.Count > 0 ? keyValues : null,
            CreatedBy = CreatedBy,
            ColumnOrders = [.. _plan.Leaves.Select(_ => new ColumnOrder { Kind = ColumnOrderKind.TypeDefined })],
        };
        int length = _output.WriteThrift(footer);
        Span<byte> tail = stackalloc byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(tail, length);
        Magic.CopyTo(tail[4..]);
        _output.Write(tail);
    }

    /// <summary>parquet-mr's "name version x.y.z" form, which readers parse to decide on writer workarounds.</summary>
    private static string CreatedBy { get; } =
        $"arrowcid version {typeof(ParquetWriter).Assembly.GetName().Version?.ToString(3) ?? "0.0.0"}";
}
