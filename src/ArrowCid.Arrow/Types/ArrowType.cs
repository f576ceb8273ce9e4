using System.Collections.Immutable;
using System.Text;

namespace ArrowCid.Arrow.Types;

/// <summary>
/// An Arrow logical type. One immutable class for every type: <see cref="Id"/> says which type
/// it is and the parameters that apply to that id are set (unit, time zone, precision, children…).
/// Equality is structural, children (names, nullability, metadata) included.
/// </summary>
public sealed class ArrowType : IEquatable<ArrowType>
{
    private static readonly ImmutableArray<Field> NoChildren = ImmutableArray<Field>.Empty;

    private ArrowType(ArrowTypeId id)
    {
        Id = id;
        Children = NoChildren;
        TypeCodes = ImmutableArray<sbyte>.Empty;
    }

    /// <summary>Which type this is.</summary>
    public ArrowTypeId Id { get; }

    /// <summary>Unit of Time32, Time64, Timestamp and Duration.</summary>
    public TimeUnit Unit { get; private init; }

    /// <summary>Time zone of a Timestamp (IANA name or offset such as +07:30), or null for wall-clock time.</summary>
    public string? TimeZone { get; private init; }

    /// <summary>Precision of a decimal.</summary>
    public int Precision { get; private init; }

    /// <summary>Scale of a decimal.</summary>
    public int Scale { get; private init; }

    /// <summary>Width in bytes of FixedSizeBinary values.</summary>
    public int ByteWidth { get; private init; }

    /// <summary>Number of values in each FixedSizeList slot.</summary>
    public int ListSize { get; private init; }

    /// <summary>Whether a Map's keys are sorted within each entry list.</summary>
    public bool KeysSorted { get; private init; }

    /// <summary>Union type codes: <c>TypeCodes[i]</c> is the code stored for child i.</summary>
    public ImmutableArray<sbyte> TypeCodes { get; private init; }

    /// <summary>Child fields of nested types (list item, struct members, map entries, union members, run ends and values).</summary>
    public ImmutableArray<Field> Children { get; private init; }

    /// <summary>Index type of a Dictionary (a signed or unsigned integer type).</summary>
    public ArrowType? IndexType { get; private init; }

    /// <summary>Value type of a Dictionary.</summary>
    public ArrowType? ValueType { get; private init; }

    /// <summary>Whether a Dictionary's values are ordered (comparisons of indices are meaningful).</summary>
    public bool Ordered { get; private init; }

    /// <summary>Name of an Extension type (ARROW:extension:name).</summary>
    public string? ExtensionName { get; private init; }

    /// <summary>Serialized parameters of an Extension type (ARROW:extension:metadata).</summary>
    public string? ExtensionMetadata { get; private init; }

    /// <summary>Storage type of an Extension type.</summary>
    public ArrowType? StorageType { get; private init; }

    // ---- singletons for parameterless types ----

    /// <summary>The Null type.</summary>
    public static ArrowType Null { get; } = new(ArrowTypeId.Null);
    /// <summary>The Boolean type.</summary>
    public static ArrowType Boolean { get; } = new(ArrowTypeId.Boolean);
    /// <summary>Signed 8-bit integers.</summary>
    public static ArrowType Int8 { get; } = new(ArrowTypeId.Int8);
    /// <summary>Signed 16-bit integers.</summary>
    public static ArrowType Int16 { get; } = new(ArrowTypeId.Int16);
    /// <summary>Signed 32-bit integers.</summary>
    public static ArrowType Int32 { get; } = new(ArrowTypeId.Int32);
    /// <summary>Signed 64-bit integers.</summary>
    public static ArrowType Int64 { get; } = new(ArrowTypeId.Int64);
    /// <summary>Unsigned 8-bit integers.</summary>
    public static ArrowType UInt8 { get; } = new(ArrowTypeId.UInt8);
    /// <summary>Unsigned 16-bit integers.</summary>
    public static ArrowType UInt16 { get; } = new(ArrowTypeId.UInt16);
    /// <summary>Unsigned 32-bit integers.</summary>
    public static ArrowType UInt32 { get; } = new(ArrowTypeId.UInt32);
    /// <summary>Unsigned 64-bit integers.</summary>
    public static ArrowType UInt64 { get; } = new(ArrowTypeId.UInt64);
    /// <summary>Half-precision floats.</summary>
    public static ArrowType Float16 { get; } = new(ArrowTypeId.Float16);
    /// <summary>Single-precision floats.</summary>
    public static ArrowType Float32 { get; } = new(ArrowTypeId.Float32);
    /// <summary>Double-precision floats.</summary>
    public static ArrowType Float64 { get; } = new(ArrowTypeId.Float64);
    /// <summary>Days since the epoch.</summary>
    public static ArrowType Date32 { get; } = new(ArrowTypeId.Date32);
    /// <summary>Milliseconds since the epoch.</summary>
    public static ArrowType Date64 { get; } = new(ArrowTypeId.Date64);
    /// <summary>Year-month intervals.</summary>
    public static ArrowType IntervalYearMonth { get; } = new(ArrowTypeId.IntervalYearMonth);
    /// <summary>Day-time intervals.</summary>
    public static ArrowType IntervalDayTime { get; } = new(ArrowTypeId.IntervalDayTime);
    /// <summary>Month-day-nanosecond intervals.</summary>
    public static ArrowType IntervalMonthDayNano { get; } = new(ArrowTypeId.IntervalMonthDayNano);
    /// <summary>Binary with 32-bit offsets.</summary>
    public static ArrowType Binary { get; } = new(ArrowTypeId.Binary);
    /// <summary>Binary with 64-bit offsets.</summary>
    public static ArrowType LargeBinary { get; } = new(ArrowTypeId.LargeBinary);
    /// <summary>UTF-8 with 32-bit offsets.</summary>
    public static ArrowType Utf8 { get; } = new(ArrowTypeId.Utf8);
    /// <summary>UTF-8 with 64-bit offsets.</summary>
    public static ArrowType LargeUtf8 { get; } = new(ArrowTypeId.LargeUtf8);
    /// <summary>Binary views.</summary>
    public static ArrowType BinaryView { get; } = new(ArrowTypeId.BinaryView);
    /// <summary>UTF-8 views.</summary>
    public static ArrowType Utf8View { get; } = new(ArrowTypeId.Utf8View);

    // ---- factories for parameterised types ----

    /// <summary>A decimal of the given storage width (32, 64, 128 or 256 bits).</summary>
    public static ArrowType Decimal(int precision, int scale, int bitWidth = 128)
    {
        var id = bitWidth switch
        {
            32 => ArrowTypeId.Decimal32,
            64 => ArrowTypeId.Decimal64,
            128 => ArrowTypeId.Decimal128,
            256 => ArrowTypeId.Decimal256,
            _ => throw new ArgumentOutOfRangeException(nameof(bitWidth), bitWidth, "decimal bit width must be 32, 64, 128 or 256"),
        };
        int maxPrecision = MaxDecimalPrecision(id);
        if (precision < 1 || precision > maxPrecision)
        {
            throw new ArgumentOutOfRangeException(nameof(precision), precision, $"decimal{bitWidth} precision must be 1..{maxPrecision}");
        }

        return new ArrowType(id) { Precision = precision, Scale = scale };
    }

    /// <summary>Largest precision a decimal type id can hold.</summary>
    public static int MaxDecimalPrecision(ArrowTypeId id) => id switch
    {
        ArrowTypeId.Decimal32 => 9,
        ArrowTypeId.Decimal64 => 18,
        ArrowTypeId.Decimal128 => 38,
        ArrowTypeId.Decimal256 => 76,
        _ => 0,
    };

    /// <summary>Time of day: seconds and milliseconds are 32-bit, micro- and nanoseconds 64-bit.</summary>
    public static ArrowType Time(TimeUnit unit) =>
        new(unit is TimeUnit.Second or TimeUnit.Millisecond ? ArrowTypeId.Time32 : ArrowTypeId.Time64) { Unit = unit };

    /// <summary>Timestamp with a unit and optional time zone.</summary>
    public static ArrowType Timestamp(TimeUnit unit, string? timeZone = null) =>
        new(ArrowTypeId.Timestamp) { Unit = unit, TimeZone = timeZone };

    /// <summary>Duration with a unit.</summary>
    public static ArrowType Duration(TimeUnit unit) => new(ArrowTypeId.Duration) { Unit = unit };

    /// <summary>Bytes of a fixed width (≥ 0).</summary>
    public static ArrowType FixedSizeBinary(int byteWidth)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(byteWidth);
        return new ArrowType(ArrowTypeId.FixedSizeBinary) { ByteWidth = byteWidth };
    }

    /// <summary>List (32-bit offsets) of the item field.</summary>
    public static ArrowType List(Field item) => Nested(ArrowTypeId.List, item);

    /// <summary>List with 64-bit offsets.</summary>
    public static ArrowType LargeList(Field item) => Nested(ArrowTypeId.LargeList, item);

    /// <summary>List view with 32-bit offsets and sizes.</summary>
    public static ArrowType ListView(Field item) => Nested(ArrowTypeId.ListView, item);

    /// <summary>List view with 64-bit offsets and sizes.</summary>
    public static ArrowType LargeListView(Field item) => Nested(ArrowTypeId.LargeListView, item);

    /// <summary>List of exactly <paramref name="listSize"/> items per slot.</summary>
    public static ArrowType FixedSizeList(Field item, int listSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(listSize);
        return new ArrowType(ArrowTypeId.FixedSizeList) { Children = [item], ListSize = listSize };
    }

    /// <summary>Struct of the given members (names may repeat; lookup is positional).</summary>
    public static ArrowType Struct(params IEnumerable<Field> members) =>
        new(ArrowTypeId.Struct) { Children = [.. members] };

    /// <summary>Map whose single child is a non-null struct of (key, value).</summary>
    public static ArrowType Map(Field entries, bool keysSorted = false)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Type.Id != ArrowTypeId.Struct || entries.Type.Children.Length != 2)
        {
            throw new ArgumentException("map entries must be a struct of exactly two fields (key, value)", nameof(entries));
        }

        return new ArrowType(ArrowTypeId.Map) { Children = [entries], KeysSorted = keysSorted };
    }

    /// <summary>Map with the standard child names entries/key/value.</summary>
    public static ArrowType Map(ArrowType keyType, ArrowType valueType, bool valueNullable = true, bool keysSorted = false) =>
        Map(new Field("entries", Struct(new Field("key", keyType, false), new Field("value", valueType, valueNullable)), false), keysSorted);

    /// <summary>Union of the members; <paramref name="typeCodes"/> defaults to 0..n-1.</summary>
    public static ArrowType Union(bool dense, IEnumerable<Field> members, IEnumerable<sbyte>? typeCodes = null)
    {
        ImmutableArray<Field> children = [.. members];
        ImmutableArray<sbyte> codes = typeCodes is null
            ? [.. Enumerable.Range(0, children.Length).Select(i => (sbyte)i)]
            : [.. typeCodes];
        if (codes.Length != children.Length)
        {
            throw new ArgumentException("a union needs one type code per member", nameof(typeCodes));
        }

        if (codes.Any(c => c < 0) || codes.Distinct().Count() != codes.Length)
        {
            throw new ArgumentException("union type codes must be distinct and in 0..127", nameof(typeCodes));
        }

        return new ArrowType(dense ? ArrowTypeId.DenseUnion : ArrowTypeId.SparseUnion) { Children = children, TypeCodes = codes };
    }

    /// <summary>Dictionary-encoded values: integer indices of <paramref name="indexType"/> into values of <paramref name="valueType"/>.</summary>
    public static ArrowType Dictionary(ArrowType indexType, ArrowType valueType, bool ordered = false)
    {
        ArgumentNullException.ThrowIfNull(indexType);
        ArgumentNullException.ThrowIfNull(valueType);
        if (!indexType.IsInteger)
        {
            throw new ArgumentException("dictionary index type must be an integer type", nameof(indexType));
        }

        return new ArrowType(ArrowTypeId.Dictionary) { IndexType = indexType, ValueType = valueType, Ordered = ordered };
    }

    /// <summary>Run-end encoded values; run ends are Int16, Int32 or Int64.</summary>
    public static ArrowType RunEndEncoded(ArrowType runEndType, Field values)
    {
        ArgumentNullException.ThrowIfNull(runEndType);
        if (runEndType.Id is not (ArrowTypeId.Int16 or ArrowTypeId.Int32 or ArrowTypeId.Int64))
        {
            throw new ArgumentException("run ends must be int16, int32 or int64", nameof(runEndType));
        }

        return new ArrowType(ArrowTypeId.RunEndEncoded) { Children = [new Field("run_ends", runEndType, false), values] };
    }

    /// <summary>Run-end encoded values with explicit child fields (as read from IPC).</summary>
    public static ArrowType RunEndEncoded(Field runEnds, Field values) =>
        new(ArrowTypeId.RunEndEncoded) { Children = [runEnds, values] };

    /// <summary>
    /// An extension type: a name and serialized parameters over a storage type. The canonical
    /// extensions (<c>arrow.uuid</c>, <c>arrow.json</c>, <c>arrow.bool8</c>, <c>arrow.opaque</c>,
    /// <c>arrow.fixed_shape_tensor</c>, <c>arrow.variable_shape_tensor</c>) must have the storage
    /// and parameters CanonicalExtensions.rst gives them, else <see cref="ArgumentException"/>.
    /// </summary>
    public static ArrowType Extension(string name, string? metadata, ArrowType storageType)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(storageType);
        if (CanonicalExtensions.Problem(name, metadata ?? string.Empty, storageType) is { } problem)
        {
            throw new ArgumentException($"extension {name}: {problem}", nameof(storageType));
        }

        return new ArrowType(ArrowTypeId.Extension) { ExtensionName = name, ExtensionMetadata = metadata ?? string.Empty, StorageType = storageType };
    }

    /// <summary>Integer type of the given width and signedness.</summary>
    public static ArrowType Integer(int bitWidth, bool signed) => (bitWidth, signed) switch
    {
        (8, true) => Int8,
        (16, true) => Int16,
        (32, true) => Int32,
        (64, true) => Int64,
        (8, false) => UInt8,
        (16, false) => UInt16,
        (32, false) => UInt32,
        (64, false) => UInt64,
        _ => throw new ArgumentOutOfRangeException(nameof(bitWidth), bitWidth, "integer bit width must be 8, 16, 32 or 64"),
    };

    private static ArrowType Nested(ArrowTypeId id, Field item)
    {
        ArgumentNullException.ThrowIfNull(item);
        return new ArrowType(id) { Children = [item] };
    }

    // ---- derived facts ----

    /// <summary>True for the eight integer types.</summary>
    public bool IsInteger => Id is >= ArrowTypeId.Int8 and <= ArrowTypeId.UInt64;

    /// <summary>True for signed integer types.</summary>
    public bool IsSignedInteger => Id is >= ArrowTypeId.Int8 and <= ArrowTypeId.Int64;

    /// <summary>True for the four decimal types.</summary>
    public bool IsDecimal => Id is >= ArrowTypeId.Decimal32 and <= ArrowTypeId.Decimal256;

    /// <summary>True for unions, sparse or dense.</summary>
    public bool IsUnion => Id is ArrowTypeId.SparseUnion or ArrowTypeId.DenseUnion;

    /// <summary>The type whose physical layout arrays of this type use (extensions use their storage).</summary>
    public ArrowType PhysicalType
    {
        get
        {
            var t = this;
            while (t.Id == ArrowTypeId.Extension)
            {
                t = t.StorageType!;
            }

            return t;
        }
    }

    /// <summary>The physical layout of arrays of this type.</summary>
    public TypeLayout Layout => TypeLayout.Of(this);

    /// <summary>Width in bits of one fixed-width value (0 for types without one).</summary>
    public int BitWidth => Id switch
    {
        ArrowTypeId.Boolean => 1,
        ArrowTypeId.Int8 or ArrowTypeId.UInt8 => 8,
        ArrowTypeId.Int16 or ArrowTypeId.UInt16 or ArrowTypeId.Float16 => 16,
        ArrowTypeId.Int32 or ArrowTypeId.UInt32 or ArrowTypeId.Float32 or ArrowTypeId.Date32 or ArrowTypeId.Time32
            or ArrowTypeId.IntervalYearMonth or ArrowTypeId.Decimal32 => 32,
        ArrowTypeId.Int64 or ArrowTypeId.UInt64 or ArrowTypeId.Float64 or ArrowTypeId.Date64 or ArrowTypeId.Time64
            or ArrowTypeId.Timestamp or ArrowTypeId.Duration or ArrowTypeId.IntervalDayTime or ArrowTypeId.Decimal64 => 64,
        ArrowTypeId.Decimal128 or ArrowTypeId.IntervalMonthDayNano => 128,
        ArrowTypeId.Decimal256 => 256,
        ArrowTypeId.FixedSizeBinary => checked(ByteWidth * 8),
        ArrowTypeId.Extension => StorageType!.BitWidth,
        _ => 0,
    };

    /// <summary>Returns a copy of this nested type with other child fields (same parameters).</summary>
    public ArrowType WithChildren(IEnumerable<Field> children) => new(Id)
    {
        Unit = Unit, TimeZone = TimeZone, Precision = Precision, Scale = Scale, ByteWidth = ByteWidth,
        ListSize = ListSize, KeysSorted = KeysSorted, TypeCodes = TypeCodes, Children = [.. children],
        IndexType = IndexType, ValueType = ValueType, Ordered = Ordered,
        ExtensionName = ExtensionName, ExtensionMetadata = ExtensionMetadata, StorageType = StorageType,
    };

    // ---- equality ----

    /// <inheritdoc/>
    public bool Equals(ArrowType? other)
    {
        if (ReferenceEquals(this, other))
        {
            return true;
        }

        if (other is null || other.Id != Id)
        {
            return false;
        }

        return Unit == other.Unit && TimeZone == other.TimeZone && Precision == other.Precision && Scale == other.Scale
            && ByteWidth == other.ByteWidth && ListSize == other.ListSize && KeysSorted == other.KeysSorted
            && Ordered == other.Ordered && ExtensionName == other.ExtensionName && ExtensionMetadata == other.ExtensionMetadata
            && TypeCodes.AsSpan().SequenceEqual(other.TypeCodes.AsSpan())
            && Children.AsSpan().SequenceEqual(other.Children.AsSpan())
            && Equals(IndexType, other.IndexType) && Equals(ValueType, other.ValueType) && Equals(StorageType, other.StorageType);
    }

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is ArrowType t && Equals(t);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var h = new HashCode();
        h.Add(Id);
        h.Add(Unit);
        h.Add(TimeZone);
        h.Add(Precision);
        h.Add(Scale);
        h.Add(ByteWidth);
        h.Add(ListSize);
        h.Add(Children.Length);
        foreach (var c in Children)
        {
            h.Add(c);
        }

        h.Add(ValueType);
        h.Add(StorageType);
        return h.ToHashCode();
    }

    /// <summary>Structural equality.</summary>
    public static bool operator ==(ArrowType? left, ArrowType? right) => left is null ? right is null : left.Equals(right);

    /// <summary>Structural inequality.</summary>
    public static bool operator !=(ArrowType? left, ArrowType? right) => !(left == right);

    // ---- text ----

    /// <summary>A readable name in the style Arrow libraries print, e.g. <c>timestamp[ms, tz=UTC]</c> or <c>list&lt;item: int32&gt;</c>.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        Append(sb);
        return sb.ToString();
    }

    internal void Append(StringBuilder sb)
    {
        switch (Id)
        {
            case ArrowTypeId.Decimal32 or ArrowTypeId.Decimal64 or ArrowTypeId.Decimal128 or ArrowTypeId.Decimal256:
                sb.Append("decimal").Append(BitWidth).Append('(').Append(Precision).Append(", ").Append(Scale).Append(')');
                break;
            case ArrowTypeId.Time32 or ArrowTypeId.Time64:
                sb.Append(Id == ArrowTypeId.Time32 ? "time32[" : "time64[").Append(UnitName(Unit)).Append(']');
                break;
            case ArrowTypeId.Timestamp:
                sb.Append("timestamp[").Append(UnitName(Unit));
                if (TimeZone is not null)
                {
                    sb.Append(", tz=").Append(TimeZone);
                }

                sb.Append(']');
                break;
            case ArrowTypeId.Duration:
                sb.Append("duration[").Append(UnitName(Unit)).Append(']');
                break;
            case ArrowTypeId.FixedSizeBinary:
                sb.Append("fixed_size_binary[").Append(ByteWidth).Append(']');
                break;
            case ArrowTypeId.FixedSizeList:
                sb.Append("fixed_size_list<");
                Children[0].Append(sb);
                sb.Append(">[").Append(ListSize).Append(']');
                break;
            case ArrowTypeId.Map:
                sb.Append(KeysSorted ? "map[sorted]<" : "map<");
                AppendChildren(sb);
                sb.Append('>');
                break;
            case ArrowTypeId.SparseUnion or ArrowTypeId.DenseUnion:
                sb.Append(Id == ArrowTypeId.DenseUnion ? "dense_union<" : "sparse_union<");
                for (int i = 0; i < Children.Length; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(", ");
                    }

                    Children[i].Append(sb);
                    sb.Append('=').Append(TypeCodes[i]);
                }

                sb.Append('>');
                break;
            case ArrowTypeId.Dictionary:
                sb.Append("dictionary<values=");
                ValueType!.Append(sb);
                sb.Append(", indices=");
                IndexType!.Append(sb);
                if (Ordered)
                {
                    sb.Append(", ordered");
                }

                sb.Append('>');
                break;
            case ArrowTypeId.Extension:
                sb.Append("extension<").Append(ExtensionName).Append(" on ");
                StorageType!.Append(sb);
                sb.Append('>');
                break;
            case ArrowTypeId.List or ArrowTypeId.LargeList or ArrowTypeId.ListView or ArrowTypeId.LargeListView
                or ArrowTypeId.Struct or ArrowTypeId.RunEndEncoded:
                sb.Append(SimpleName(Id)).Append('<');
                AppendChildren(sb);
                sb.Append('>');
                break;
            default:
                sb.Append(SimpleName(Id));
                break;
        }
    }

    private void AppendChildren(StringBuilder sb)
    {
        for (int i = 0; i < Children.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(", ");
            }

            Children[i].Append(sb);
        }
    }

    private static string UnitName(TimeUnit unit) => unit switch
    {
        TimeUnit.Second => "s",
        TimeUnit.Millisecond => "ms",
        TimeUnit.Microsecond => "us",
        _ => "ns",
    };

    private static string SimpleName(ArrowTypeId id) => id switch
    {
        ArrowTypeId.Null => "null",
        ArrowTypeId.Boolean => "bool",
        ArrowTypeId.Int8 => "int8",
        ArrowTypeId.Int16 => "int16",
        ArrowTypeId.Int32 => "int32",
        ArrowTypeId.Int64 => "int64",
        ArrowTypeId.UInt8 => "uint8",
        ArrowTypeId.UInt16 => "uint16",
        ArrowTypeId.UInt32 => "uint32",
        ArrowTypeId.UInt64 => "uint64",
        ArrowTypeId.Float16 => "halffloat",
        ArrowTypeId.Float32 => "float",
        ArrowTypeId.Float64 => "double",
        ArrowTypeId.Date32 => "date32[day]",
        ArrowTypeId.Date64 => "date64[ms]",
        ArrowTypeId.IntervalYearMonth => "month_interval",
        ArrowTypeId.IntervalDayTime => "day_time_interval",
        ArrowTypeId.IntervalMonthDayNano => "month_day_nano_interval",
        ArrowTypeId.Binary => "binary",
        ArrowTypeId.LargeBinary => "large_binary",
        ArrowTypeId.Utf8 => "string",
        ArrowTypeId.LargeUtf8 => "large_string",
        ArrowTypeId.BinaryView => "binary_view",
        ArrowTypeId.Utf8View => "string_view",
        ArrowTypeId.List => "list",
        ArrowTypeId.LargeList => "large_list",
        ArrowTypeId.ListView => "list_view",
        ArrowTypeId.LargeListView => "large_list_view",
        ArrowTypeId.Struct => "struct",
        ArrowTypeId.RunEndEncoded => "run_end_encoded",
        _ => id.ToString().ToLowerInvariant(),
    };
}
