using ArrowCid.Parquet.Encodings;
using ArrowCid.Parquet.Schema;

namespace ArrowCid.Parquet.Reading;

/// <summary>
/// One decoded column chunk of a leaf column: its repetition and definition levels (one per
/// slot, nulls and empty lists included) and its non-null values in order. A level array is
/// empty when the column's maximum level is 0 (every level would be 0).
/// </summary>
public sealed class LeafColumnData
{
    internal LeafColumnData(SchemaNode column, int levelCount, int[] repetitionLevels, int[] definitionLevels, ColumnValues values)
    {
        Column = column;
        LevelCount = levelCount;
        RepetitionLevels = repetitionLevels;
        DefinitionLevels = definitionLevels;
        Values = values;
    }

    /// <summary>The leaf this chunk belongs to.</summary>
    public SchemaNode Column { get; }

    /// <summary>Slots in the chunk (ColumnMetaData.num_values).</summary>
    public int LevelCount { get; }

    /// <summary>Repetition levels, or empty when the maximum repetition level is 0.</summary>
    public IReadOnlyList<int> RepetitionLevels { get; }

    /// <summary>Definition levels, or empty when the maximum definition level is 0.</summary>
    public IReadOnlyList<int> DefinitionLevels { get; }

    /// <summary>The non-null values.</summary>
    public ColumnValues Values { get; }

    /// <summary>The values of a fixed-width column, or an exception when <typeparamref name="T"/> is not its type.</summary>
    public ReadOnlySpan<T> GetValues<T>() where T : unmanaged =>
        Values is PrimitiveValues<T> typed
            ? typed.Span
            : throw new InvalidOperationException($"column {Column} holds {Values.GetType().Name}, not {typeof(T).Name}");

    /// <summary>The values of a BYTE_ARRAY or FIXED_LEN_BYTE_ARRAY column.</summary>
    public ByteArrayValues GetByteArrays() =>
        Values is BinaryValues binary
            ? binary.Values
            : throw new InvalidOperationException($"column {Column} holds {Values.GetType().Name}, not byte arrays");
}
