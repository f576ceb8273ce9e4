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
/// rows; the group's column chunks are then shredded and encoded, up to
/// <see cref="ParquetWriteOptions.MaxDegreeOfParallelism"/> at a time (they are independent),
/// each into a buffer of its own, and written in column order, so the file's bytes do not
/// depend on the degree and memory stays bounded by one row group and its encoded chunks.
/// <see cref="Close"/> writes the rest, the page index and the footer.
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
        Schema = arrowSchema;
        _stream = stream;
        _leaveOpen = leaveOpen;
        _output = new PositionedOutput(stream);
        _output.Write(Magic);
    }

    /// <summary>The Arrow schema every batch must have.</summary>
    public ArrowSchema Schema { get; }

    /// <summary>The Parquet schema elements written to the footer (root first).</summary>
    public IReadOnlyList<SchemaElement> ParquetSchema => _plan.Elements;

    /// <summary>Rows accepted so far.</summary>
    public long RowCount => _rows + _pendingRows;

    /// <summary>Adds a batch's rows; full row groups are written as they fill.</summary>
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

    /// <summary>Rows accepted but not yet written to a row group (at most <see cref="ParquetWriteOptions.RowGroupSize"/> - 1 between calls).</summary>
    public long BufferedRows => _pendingRows;

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
    /// Writes the buffered rows now as a row group (nothing when none are buffered), so the next
    /// batch starts a new one: e.g. one row group per batch, which a reader turns back into the
    /// same batches.
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
        int leaves = _plan.Leaves.Count;
        var encoded = new EncodedChunk?[leaves];
        try
        {
            int degree = Math.Min(_degree, leaves);
            if (degree <= 1)
            {
                for (int i = 0; i < leaves; i++)
                {
                    encoded[i] = EncodeChunk(i, batches, rows);
                }
            }
            else
            {
                EncodeInParallel(encoded, batches, rows, degree);
            }

            var chunks = new List<ColumnChunk>(leaves);
            var indexes = new List<ColumnChunkWriter.PageIndexEntry>(leaves);
            long groupStart = _output.Position;
            long uncompressed = 0;
            foreach (EncodedChunk? item in encoded)
            {
                (ColumnChunk chunk, ColumnChunkWriter.PageIndexEntry index, PooledByteWriter bytes) = item!;
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
        }
        finally
        {
            foreach (EncodedChunk? item in encoded)
            {
                item?.Bytes.Dispose();
            }
        }
        _rows += rows;
        _pending.Clear();
        _pendingRows = 0;
        ReleaseWritten();
    }

    private void EncodeInParallel(EncodedChunk?[] encoded, RecordBatch[] batches, int rows, int degree)
    {
        try
        {
            // Handed out one at a time, costliest first: the group ends when its slowest chunk
            // does, so a large chunk left for last would keep the other cores idle.
            var partitioner = System.Collections.Concurrent.Partitioner.Create(_scheduleOrder, System.Collections.Concurrent.EnumerablePartitionerOptions.NoBuffering);
            Parallel.ForEach(partitioner, new ParallelOptions { MaxDegreeOfParallelism = degree }, i => encoded[i] = EncodeChunk(i, batches, rows));
        }
        catch (AggregateException ex)
        {
            // Callers see the exception a serial write would throw (a null in a non-nullable field…).
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex.InnerExceptions[0]).Throw();
            throw;
        }
    }

    /// <summary>
    /// Leaf indexes by decreasing expected encoding work: bytes per value of the physical type
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
