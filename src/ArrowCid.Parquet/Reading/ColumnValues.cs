using ArrowCid.Parquet.Encodings;
using ArrowCid.Parquet.Metadata;

namespace ArrowCid.Parquet.Reading;

/// <summary>The non-null values of a leaf column chunk, typed by physical type.</summary>
public abstract class ColumnValues
{
    private protected ColumnValues()
    {
    }

    /// <summary>Number of values (the non-null slots).</summary>
    public abstract int Count { get; }
}

/// <summary>
/// Fixed-width values: <c>bool</c> for BOOLEAN, <c>int</c> INT32, <c>long</c> INT64,
/// <see cref="Int96"/> INT96, <c>float</c> FLOAT, <c>double</c> DOUBLE.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class PrimitiveValues<T> : ColumnValues where T : unmanaged
{
    internal PrimitiveValues(T[] values) => Values = values;

    /// <summary>The values.</summary>
    public IReadOnlyList<T> Values { get; }

    /// <summary>The values as a span.</summary>
    public ReadOnlySpan<T> Span => (T[])Values;

    /// <inheritdoc/>
    public override int Count => Values.Count;
}

/// <summary>BYTE_ARRAY and FIXED_LEN_BYTE_ARRAY values.</summary>
public sealed class BinaryValues : ColumnValues
{
    internal BinaryValues(ByteArrayValues values, PhysicalType type)
    {
        Values = values;
        PhysicalType = type;
    }

    /// <summary>The values, as offsets into one data buffer.</summary>
    public ByteArrayValues Values { get; }

    /// <summary><see cref="PhysicalType.ByteArray"/> or <see cref="PhysicalType.FixedLenByteArray"/>.</summary>
    public PhysicalType PhysicalType { get; }

    /// <inheritdoc/>
    public override int Count => Values.Count;
}
