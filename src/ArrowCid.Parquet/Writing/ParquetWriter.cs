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
/// encoded chunks (see <see cref="RowGroupEncodingPipeline"/>). <see cref="Close"/> writes the
/// rest, the page index and the footer.
/// </summary>
public sealed class ParquetWriter : IDisposable
{
    private static readonly byte[] Magic = "PAR1"u8.ToArray();

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly PositionedOutput _output;
    private readonly ParquetWriteOptions _options;
    private readonly ParquetSchemaPlan _plan;
    private readonly RowGroupEncodingPipeline _encoding;
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
        _encoding = new RowGroupEncodingPipeline(_plan, _options, PlaceRowGroup);
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
    public long RowCount => _rows + _encoding.RowsInFlight + _pendingRows;

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
    public long BufferedRows => _encoding.RowsInFlight + _pendingRows;

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
            while (_encoding.HasInFlight)
            {
                _encoding.PlaceOldest();
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
            _encoding.Dispose();
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
        _encoding.Submit(batches, rows);
    }

    /// <summary>Places a row group's encoded chunks in the file in column order, then releases the owned batches it completes.</summary>
    private void PlaceRowGroup(RowGroupEncodingPipeline.EncodedChunk[] encoded, int rows)
    {
        WriteRowGroup(encoded, rows);
        ReleaseWritten();
    }

    /// <summary>Writes a row group's encoded chunks to the file in column order.</summary>
    private void WriteRowGroup(RowGroupEncodingPipeline.EncodedChunk[] encoded, int rows)
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
