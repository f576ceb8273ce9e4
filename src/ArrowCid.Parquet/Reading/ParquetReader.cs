using ArrowCid.Arrow;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;
using ArrowCid.Parquet.ArrowMetadata;
using ArrowCid.Parquet.Metadata;
using ArrowSchema = ArrowCid.Arrow.Types.Schema;

namespace ArrowCid.Parquet.Reading;

/// <summary>
/// Reads a Parquet file as Arrow record batches of at most <see cref="ParquetReadOptions.BatchRows"/>
/// rows, decoding each column's pages only as the batch needs them, so memory is bounded by the
/// batch and the pages it comes from, never by a row group or by what a page claims (see
/// <see cref="ParquetReadOptions.MaxDecodedBytesHeld"/>). The Arrow schema comes from the Parquet schema (logical types,
/// then converted types, then physical types); an <c>ARROW:schema</c> footer entry whose fields
/// match it restores the exact Arrow types it names (large and view variants, dictionaries,
/// time zones, durations, field metadata). An entry that cannot be decoded or does not match is
/// ignored. Every problem with the file's bytes is a <see cref="ParquetFormatException"/>, the
/// one exception type this reader lets escape for bad input (Arrow-level failures are wrapped).
/// </summary>
public sealed class ParquetReader : IDisposable
{
    private readonly ParquetFileReader _file;
    private readonly IReadOnlyList<ReadNode> _tree;
    private readonly ArrowSchema? _stored;
    private readonly DecodeBudget _budget;

    private ParquetReader(ParquetFileReader file, ParquetReadOptions? options)
    {
        _file = file;
        Options = options ?? ParquetReadOptions.Default;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Options.BatchRows, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegative(Options.MaxDecodedBytesHeld, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegative(Options.MaxDecodedBytesPerReader, nameof(options));
        _budget = new DecodeBudget(Options.MaxDecodedBytesHeld, Options.MaxDecodedBytesPerReader);
        _tree = Wrap(() => new ReadTreeBuilder(Options).Build(file.Schema));
        IReadOnlyList<KeyValue> keyValues = file.Metadata.KeyValueMetadata ?? [];
        KeyValueMetadata = [.. keyValues.Select(k => new KeyValuePair<string, string?>(k.Key, k.Value))];
        var natural = new ArrowSchema(_tree.Select(n => n.Field));
        string? stored = keyValues.FirstOrDefault(k => k.Key == ArrowSchemaMetadata.Key)?.Value;
        ArrowSchema? restored = Options.UseArrowSchema ? ArrowSchemaMetadata.TryDecode(stored) : null;
        if (restored is not null && restored.Fields.Length == natural.Fields.Length
            && restored.Fields.Zip(natural.Fields).All(p => ArrowTypeRestorer.CanRestore(p.Second.Type, p.First.Type)))
        {
            _stored = restored;
            Schema = restored;
        }
        else
        {
            Schema = natural;
        }
    }

    /// <summary>The Arrow schema of every batch.</summary>
    public ArrowSchema Schema { get; }

    /// <summary>The options in use.</summary>
    public ParquetReadOptions Options { get; }

    /// <summary>The low-level reader (footer, schema tree, column chunks).</summary>
    public ParquetFileReader File => _file;

    /// <summary>Number of row groups (batches).</summary>
    public int RowGroupCount => _file.RowGroupCount;

    /// <summary>The footer's key/value metadata, in file order.</summary>
    public IReadOnlyList<KeyValuePair<string, string?>> KeyValueMetadata { get; }

    /// <summary>Opens a file held in memory.</summary>
    public static ParquetReader Open(ReadOnlyMemory<byte> file, ParquetReadOptions? options = null) =>
        Create(ParquetFileReader.Open(file), options);

    /// <summary>Opens a seekable stream (disposed with the reader unless <paramref name="leaveOpen"/>).</summary>
    public static ParquetReader Open(Stream stream, ParquetReadOptions? options = null, bool leaveOpen = false) =>
        Create(ParquetFileReader.Open(stream, leaveOpen), options);

    /// <summary>Opens a file by path.</summary>
    public static ParquetReader Open(string path, ParquetReadOptions? options = null) =>
        Open(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read), options);

    /// <summary>
    /// Decoded bytes one batch of <see cref="ReadAll"/> aims at, across its columns: a column stops
    /// decoding pages for the batch once it holds its share and a whole record.
    /// </summary>
    public const long TargetBatchBytes = 32L << 20;

    /// <summary>Reads one row group as one record batch (its columns are held whole: prefer <see cref="ReadAll"/>).</summary>
    public RecordBatch ReadRowGroup(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, RowGroupCount);
        long rows = _file.Metadata.RowGroups[index].NumRows;
        if (rows > int.MaxValue)
        {
            throw new ParquetFormatException($"row group {index}: {rows} rows do not fit one record batch; read it with ReadAll") { RowGroup = index };
        }
        return ReadBatches(index, Math.Max(1, (int)rows), long.MaxValue).Single();
    }

    /// <summary>
    /// Every row of the file in order, as batches of at most <see cref="ParquetReadOptions.BatchRows"/>
    /// rows (a row group without rows gives one empty batch), read lazily.
    /// </summary>
    public IEnumerable<RecordBatch> ReadAll()
    {
        long bytesPerColumn = TargetBatchBytes / Math.Max(1, _file.Schema.Leaves.Count);
        for (int g = 0; g < RowGroupCount; g++)
        {
            foreach (RecordBatch batch in ReadBatches(g, Options.BatchRows, bytesPerColumn))
            {
                yield return batch;
            }
        }
    }

    /// <summary>Row group <paramref name="index"/> as batches of at most <paramref name="batchRows"/> rows.</summary>
    private IEnumerable<RecordBatch> ReadBatches(int index, int batchRows, long bytesPerColumn)
    {
        long rows = _file.Metadata.RowGroups[index].NumRows;
        var columns = new ColumnChunkDecoder[_file.Schema.Leaves.Count];
        try
        {
            for (int c = 0; c < columns.Length; c++)
            {
                int column = c;
                columns[c] = Wrap(() => _file.OpenColumn(index, column, _budget));
            }
            long done = 0;
            do
            {
                int target = (int)Math.Min(batchRows, rows - done);
                long start = done;
                RecordBatch batch = Wrap(() => ReadBatch(index, columns, target, bytesPerColumn, start));
                done += batch.Length;
                yield return batch;
            }
            while (done < rows);
            foreach (ColumnChunkDecoder column in columns)
            {
                if (column.CompleteRecords > 0 || !column.Exhausted)
                {
                    throw new ParquetFormatException($"row group {index}: column {column.Name} has more rows than the row group's {rows}") { RowGroup = index, Column = column.Name };
                }
            }
        }
        finally
        {
            foreach (ColumnChunkDecoder? column in columns)
            {
                column?.Close();
            }
        }
    }

    /// <summary>
    /// The next batch of row group <paramref name="index"/>: each column decodes pages until it has
    /// <paramref name="target"/> whole records, or holds its share of bytes and one whole record;
    /// the batch is as many records as every column has.
    /// </summary>
    private RecordBatch ReadBatch(int index, ColumnChunkDecoder[] columns, int target, long bytesPerColumn, long start)
    {
        int records = target;
        foreach (ColumnChunkDecoder column in columns)
        {
            while (column.CompleteRecords < target
                && !(column.CompleteRecords > 0 && column.BufferedBytes >= bytesPerColumn)
                && column.DecodeNextPage())
            {
            }
            records = (int)Math.Min(records, column.CompleteRecords);
        }
        if (records == 0 && target > 0)
        {
            ColumnChunkDecoder ended = columns.First(c => c.CompleteRecords == 0);
            long rows = _file.Metadata.RowGroups[index].NumRows;
            throw new ParquetFormatException($"row group {index}: column {ended.Name} ends after {start} of the row group's {rows} rows") { RowGroup = index, Column = ended.Name };
        }
        var slices = new LeafColumnData[columns.Length];
        for (int c = 0; c < columns.Length; c++)
        {
            slices[c] = columns[c].TakeRecords(records);
        }
        var assembler = new LevelAssembler(slices);
        var arrays = new ArrayData[_tree.Count];
        for (int i = 0; i < arrays.Length; i++)
        {
            ArrayData array = assembler.Assemble(_tree[i]);
            if (array.Length != records)
            {
                throw new ParquetFormatException($"row group {index}: column '{_tree[i].Field.Name}' has {array.Length} rows where its leaves have {records}") { RowGroup = index };
            }
            arrays[i] = _stored is null ? array : ArrowTypeRestorer.Restore(array, _stored.Fields[i].Type);
        }
        return new RecordBatch(Schema, records, arrays);
    }

    /// <inheritdoc/>
    public void Dispose() => _file.Dispose();

    private static ParquetReader Create(ParquetFileReader file, ParquetReadOptions? options)
    {
        try
        {
            return new ParquetReader(file, options);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Maps failures of Arrow-level construction on bad input to the reader's one exception.</summary>
    private static T Wrap<T>(Func<T> action)
    {
        try
        {
            return action();
        }
        catch (Exception ex) when (ex is ArrowFormatException or ArgumentException or OverflowException or InvalidCastException or InvalidOperationException)
        {
            throw new ParquetFormatException($"cannot build Arrow data from the file: {ex.Message}", ex);
        }
    }
}
