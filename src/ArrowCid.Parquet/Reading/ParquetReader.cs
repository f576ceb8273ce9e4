using ArrowCid.Arrow;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;
using ArrowCid.Parquet.ArrowMetadata;
using ArrowCid.Parquet.Metadata;
using ArrowSchema = ArrowCid.Arrow.Types.Schema;

namespace ArrowCid.Parquet.Reading;

/// <summary>
/// Reads a Parquet file as Arrow record batches, one per row group, so memory is bounded by one
/// row group's decoded columns. The Arrow schema comes from the Parquet schema (logical types,
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

    private ParquetReader(ParquetFileReader file, ParquetReadOptions? options)
    {
        _file = file;
        Options = options ?? ParquetReadOptions.Default;
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

    /// <summary>Reads one row group as a record batch.</summary>
    public RecordBatch ReadRowGroup(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, RowGroupCount);
        return Wrap(() =>
        {
            long rows = _file.Metadata.RowGroups[index].NumRows;
            var columns = new LeafColumnData[_file.Schema.Leaves.Count];
            for (int c = 0; c < columns.Length; c++)
            {
                columns[c] = _file.ReadColumn(index, c);
            }
            var assembler = new LevelAssembler(columns);
            var arrays = new ArrayData[_tree.Count];
            for (int i = 0; i < arrays.Length; i++)
            {
                ArrayData array = assembler.Assemble(_tree[i]);
                if (array.Length != rows)
                {
                    throw new ParquetFormatException($"row group {index}: column '{_tree[i].Field.Name}' has {array.Length} rows, the row group {rows}") { RowGroup = index };
                }
                arrays[i] = _stored is null ? array : ArrowTypeRestorer.Restore(array, _stored.Fields[i].Type);
            }
            return new RecordBatch(Schema, (int)rows, arrays);
        });
    }

    /// <summary>Every row group in order, read lazily.</summary>
    public IEnumerable<RecordBatch> ReadAll()
    {
        for (int g = 0; g < RowGroupCount; g++)
        {
            yield return ReadRowGroup(g);
        }
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
