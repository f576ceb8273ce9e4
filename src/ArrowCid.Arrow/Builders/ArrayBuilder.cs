using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Builders;

/// <summary>
/// Builds an array of any Arrow type from natural CLR values, one slot at a time. Create one with
/// <see cref="Create"/>; <see cref="Build"/> returns a tidy array (offset 0, zeroed padding,
/// buffers a multiple of 8 bytes, no validity bitmap when nothing is null) and empties the builder
/// for reuse.
/// </summary>
/// <remarks>
/// Accepted values: null; bool; any integer type (BigInteger, Int128, UInt128 included; for decimals
/// the unscaled value); <see cref="decimal"/> for decimal types (scaled to the type's scale);
/// float, double, Half; string; byte[] and ReadOnlyMemory&lt;byte&gt;; DateOnly, DateTime,
/// DateTimeOffset for dates and timestamps; TimeOnly and TimeSpan for times and durations;
/// <see cref="DayTimeInterval"/>, <see cref="MonthDayNanoInterval"/> or tuples for intervals;
/// any IEnumerable for list-like types; IReadOnlyList&lt;object?&gt; (by position) or
/// IDictionary&lt;string, object?&gt; (by name) for structs; IEnumerable of KeyValuePair for maps;
/// a (sbyte typeCode, object? value) tuple for unions; the plain value for dictionary-encoded and
/// run-end encoded types (the builder encodes it). Raw integer storage values are accepted for
/// every temporal type. A rejected value leaves fixed-width and dictionary builders unchanged; a
/// nested builder (list, struct, union, map) may hold part of it, so discard such a builder after
/// an exception.
/// </remarks>
public abstract class ArrayBuilder
{
    private protected ArrayBuilder(ArrowType type)
    {
        ArgumentNullException.ThrowIfNull(type);
        Type = type;
    }

    /// <summary>The type of the arrays this builder makes.</summary>
    public ArrowType Type { get; }

    /// <summary>Slots appended since the last <see cref="Build"/>.</summary>
    public abstract int Length { get; }

    /// <summary>Appends one slot; null appends a null slot.</summary>
    public void Append(object? value)
    {
        if (value is null)
        {
            AppendNull();
        }
        else
        {
            AppendValue(value);
        }
    }

    /// <summary>Appends a null slot.</summary>
    public abstract void AppendNull();

    /// <summary>Returns the array of the slots appended so far and empties the builder.</summary>
    public abstract ArrayData Build();

    /// <summary>Appends one non-null value.</summary>
    private protected abstract void AppendValue(object value);

    /// <summary>A builder for arrays of <paramref name="type"/>.</summary>
    public static ArrayBuilder Create(ArrowType type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return type.Id switch
        {
            ArrowTypeId.Null => new NullBuilder(),
            ArrowTypeId.Boolean => new BooleanBuilder(),
            ArrowTypeId.Binary or ArrowTypeId.Utf8 or ArrowTypeId.LargeBinary or ArrowTypeId.LargeUtf8 => new BinaryBuilder(type),
            ArrowTypeId.BinaryView or ArrowTypeId.Utf8View => new BinaryViewBuilder(type),
            ArrowTypeId.List or ArrowTypeId.LargeList or ArrowTypeId.Map => new ListBuilder(type),
            ArrowTypeId.ListView or ArrowTypeId.LargeListView => new ListViewBuilder(type),
            ArrowTypeId.FixedSizeList => new FixedSizeListBuilder(type),
            ArrowTypeId.Struct => new StructBuilder(type),
            ArrowTypeId.SparseUnion or ArrowTypeId.DenseUnion => new UnionBuilder(type),
            ArrowTypeId.Dictionary => new DictionaryBuilder(type),
            ArrowTypeId.RunEndEncoded => new RunEndEncodedBuilder(type),
            ArrowTypeId.Extension => new ExtensionBuilder(type),
            _ => new FixedWidthBuilder(type),
        };
    }
}
