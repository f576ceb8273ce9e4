using System.Numerics;
using ArrowCid.Arrow.Types;
using ArrowSchema = ArrowCid.Arrow.Types.Schema;
using ArrowCid.Parquet.Metadata;
using ParquetTimeUnit = ArrowCid.Parquet.Metadata.TimeUnit;
using TimeUnit = ArrowCid.Arrow.Types.TimeUnit;

namespace ArrowCid.Parquet.Writing;

/// <summary>
/// The Parquet schema for an Arrow schema: the flattened <see cref="SchemaElement"/> list, the
/// shredding tree and one <see cref="LeafPlan"/> per leaf column, in file order. Lists become the
/// 3-level LIST form (<c>group (LIST) { repeated group list { element } }</c>), maps the MAP form
/// (<c>group (MAP) { repeated group key_value { key; value } }</c>), dictionaries their value
/// type, extensions their storage (arrow.uuid becomes UUID). Types Parquet cannot hold (intervals,
/// unions, run-end encoded, empty structs, zero-width fixed-size binary) throw
/// <see cref="NotSupportedException"/> naming the field.
/// </summary>
internal sealed class ParquetSchemaPlan
{
    private readonly List<SchemaElement> _elements = [];
    private readonly List<LeafPlan> _leaves = [];
    private readonly List<ShredNode> _chain = [];
    private readonly List<string> _path = [];

    private ParquetSchemaPlan()
    {
    }

    public IReadOnlyList<SchemaElement> Elements => _elements;

    public IReadOnlyList<ShredNode> TopLevel { get; private set; } = [];

    public IReadOnlyList<LeafPlan> Leaves => _leaves;

    public static ParquetSchemaPlan From(ArrowSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        if (schema.Fields.Length == 0)
        {
            throw new NotSupportedException("a Parquet file needs at least one column; the schema has no fields");
        }
        var plan = new ParquetSchemaPlan();
        plan._elements.Add(new SchemaElement { Name = "schema", NumChildren = schema.Fields.Length });
        var top = new ShredNode[schema.Fields.Length];
        for (int i = 0; i < top.Length; i++)
        {
            Field field = schema.Fields[i];
            top[i] = plan.Map(field.Type, field.Name, field.Nullable, i, 0, 0);
        }
        plan.TopLevel = top;
        return plan;
    }

    /// <summary>The type a field is written as: dictionaries by their values, extensions by storage (except arrow.uuid).</summary>
    internal static ArrowType Unwrap(ArrowType type)
    {
        while (true)
        {
            if (type.Id == ArrowTypeId.Dictionary)
            {
                type = type.ValueType!;
            }
            else if (type.Id == ArrowTypeId.Extension && !IsUuid(type))
            {
                type = type.StorageType!;
            }
            else
            {
                return type;
            }
        }
    }

    private static bool IsUuid(ArrowType type) =>
        type.Id == ArrowTypeId.Extension && type.ExtensionName == "arrow.uuid" && type.StorageType is { Id: ArrowTypeId.FixedSizeBinary, ByteWidth: 16 };

    private ShredNode Map(ArrowType declared, string name, bool nullable, int childIndex, int definition, int repetition)
    {
        ArrowType type = Unwrap(declared);
        _path.Add(name);
        try
        {
            if (type.Id == ArrowTypeId.Null)
            {
                // Arrow C++'s convention: INT32 annotated UNKNOWN (always null), necessarily OPTIONAL.
                nullable = true;
            }
            FieldRepetitionType repetitionType = nullable ? FieldRepetitionType.Optional : FieldRepetitionType.Required;
            int def = definition + (nullable ? 1 : 0);
            return type.Id switch
            {
                ArrowTypeId.Struct => MapStruct(type, name, nullable, repetitionType, childIndex, def, repetition),
                ArrowTypeId.List or ArrowTypeId.LargeList or ArrowTypeId.ListView or ArrowTypeId.LargeListView or ArrowTypeId.FixedSizeList =>
                    MapList(type, name, nullable, repetitionType, childIndex, def, repetition),
                ArrowTypeId.Map => MapMap(type, name, nullable, repetitionType, childIndex, def, repetition),
                _ => MapLeaf(type, name, nullable, repetitionType, childIndex, def, repetition),
            };
        }
        finally
        {
            _path.RemoveAt(_path.Count - 1);
        }
    }

    private ShredNode MapStruct(ArrowType type, string name, bool nullable, FieldRepetitionType repetitionType, int childIndex, int def, int rep)
    {
        if (type.Children.Length == 0)
        {
            throw Unsupported(type, "a struct without members has no Parquet form (a group needs children)");
        }
        _elements.Add(new SchemaElement { Name = name, RepetitionType = repetitionType, NumChildren = type.Children.Length });
        var node = new ShredNode { Kind = ShredKind.Struct, Optional = nullable, ArrowChildIndex = childIndex };
        _chain.Add(node);
        var children = new ShredNode[type.Children.Length];
        for (int i = 0; i < children.Length; i++)
        {
            Field member = type.Children[i];
            children[i] = Map(member.Type, member.Name, member.Nullable, i, def, rep);
        }
        _chain.RemoveAt(_chain.Count - 1);
        node.Children = children;
        return node;
    }

    private ShredNode MapList(ArrowType type, string name, bool nullable, FieldRepetitionType repetitionType, int childIndex, int def, int rep)
    {
        _elements.Add(new SchemaElement
        {
            Name = name, RepetitionType = repetitionType, NumChildren = 1,
            ConvertedType = ConvertedType.List, LogicalType = new LogicalType { Kind = LogicalTypeKind.List },
        });
        _elements.Add(new SchemaElement { Name = "list", RepetitionType = FieldRepetitionType.Repeated, NumChildren = 1 });
        var node = new ShredNode { Kind = ShredKind.List, Optional = nullable, ArrowChildIndex = childIndex, RepetitionLevel = rep + 1 };
        _chain.Add(node);
        _path.Add("list");
        Field item = type.Children[0];
        node.Children = [Map(item.Type, "element", item.Nullable, 0, def + 1, rep + 1)];
        _path.RemoveAt(_path.Count - 1);
        _chain.RemoveAt(_chain.Count - 1);
        return node;
    }

    private ShredNode MapMap(ArrowType type, string name, bool nullable, FieldRepetitionType repetitionType, int childIndex, int def, int rep)
    {
        Field entries = type.Children[0];
        _elements.Add(new SchemaElement
        {
            Name = name, RepetitionType = repetitionType, NumChildren = 1,
            ConvertedType = ConvertedType.Map, LogicalType = new LogicalType { Kind = LogicalTypeKind.Map },
        });
        _elements.Add(new SchemaElement { Name = "key_value", RepetitionType = FieldRepetitionType.Repeated, NumChildren = 2 });
        var node = new ShredNode { Kind = ShredKind.List, Optional = nullable, ArrowChildIndex = childIndex, RepetitionLevel = rep + 1 };
        // The entries struct is the repeated group itself: it adds no level of its own.
        var entriesNode = new ShredNode { Kind = ShredKind.Struct, Optional = false };
        _chain.Add(node);
        _chain.Add(entriesNode);
        _path.Add("key_value");
        Field key = entries.Type.Children[0];
        Field value = entries.Type.Children[1];
        entriesNode.Children =
        [
            Map(key.Type, "key", false, 0, def + 1, rep + 1),
            Map(value.Type, "value", value.Nullable, 1, def + 1, rep + 1),
        ];
        _path.RemoveAt(_path.Count - 1);
        _chain.RemoveRange(_chain.Count - 2, 2);
        node.Children = [entriesNode];
        return node;
    }

    private ShredNode MapLeaf(ArrowType type, string name, bool nullable, FieldRepetitionType repetitionType, int childIndex, int def, int rep)
    {
        var element = new SchemaElement { Name = name, RepetitionType = repetitionType };
        (ValueConversion conversion, StatisticsOrder order, long multiplier) = Describe(type, element);
        var node = new ShredNode { Kind = ShredKind.Leaf, Optional = nullable, ArrowChildIndex = childIndex };
        _elements.Add(element);
        node.Leaf = new LeafPlan
        {
            Chain = [.. _chain, node],
            Element = element,
            Path = [.. _path],
            Conversion = conversion,
            Order = order,
            Multiplier = multiplier,
            MaxDefinitionLevel = def,
            MaxRepetitionLevel = rep,
        };
        _leaves.Add(node.Leaf);
        return node;
    }

    private (ValueConversion, StatisticsOrder, long) Describe(ArrowType type, SchemaElement e)
    {
        switch (type.Id)
        {
            case ArrowTypeId.Null:
                e.Type = PhysicalType.Int32;
                e.LogicalType = new LogicalType { Kind = LogicalTypeKind.Unknown };
                return (ValueConversion.AlwaysNull, StatisticsOrder.None, 1);
            case ArrowTypeId.Boolean:
                e.Type = PhysicalType.Boolean;
                return (ValueConversion.Boolean, StatisticsOrder.Boolean, 1);
            case ArrowTypeId.Int8 or ArrowTypeId.Int16 or ArrowTypeId.Int32 or ArrowTypeId.Int64
                or ArrowTypeId.UInt8 or ArrowTypeId.UInt16 or ArrowTypeId.UInt32 or ArrowTypeId.UInt64:
            {
                int bits = type.BitWidth;
                bool signed = type.IsSignedInteger;
                e.Type = bits == 64 ? PhysicalType.Int64 : PhysicalType.Int32;
                e.LogicalType = new LogicalType { Kind = LogicalTypeKind.Integer, BitWidth = (sbyte)bits, IsSigned = signed };
                e.ConvertedType = (bits, signed) switch
                {
                    (8, true) => ConvertedType.Int8, (16, true) => ConvertedType.Int16, (32, true) => ConvertedType.Int32, (64, true) => ConvertedType.Int64,
                    (8, false) => ConvertedType.UInt8, (16, false) => ConvertedType.UInt16, (32, false) => ConvertedType.UInt32, _ => ConvertedType.UInt64,
                };
                StatisticsOrder order = (bits == 64, signed) switch
                {
                    (true, true) => StatisticsOrder.Signed64,
                    (true, false) => StatisticsOrder.Unsigned64,
                    (false, true) => StatisticsOrder.Signed32,
                    _ => StatisticsOrder.Unsigned32,
                };
                return (signed ? ValueConversion.SignedInteger : ValueConversion.UnsignedInteger, order, 1);
            }
            case ArrowTypeId.Float16:
                e.Type = PhysicalType.FixedLenByteArray;
                e.TypeLength = 2;
                e.LogicalType = new LogicalType { Kind = LogicalTypeKind.Float16 };
                return (ValueConversion.RawSlot, StatisticsOrder.Float16, 1);
            case ArrowTypeId.Float32:
                e.Type = PhysicalType.Float;
                return (ValueConversion.RawSlot, StatisticsOrder.Float, 1);
            case ArrowTypeId.Float64:
                e.Type = PhysicalType.Double;
                return (ValueConversion.RawSlot, StatisticsOrder.Double, 1);
            case ArrowTypeId.Decimal32 or ArrowTypeId.Decimal64 or ArrowTypeId.Decimal128 or ArrowTypeId.Decimal256:
                return DescribeDecimal(type, e);
            case ArrowTypeId.Date32 or ArrowTypeId.Date64:
                e.Type = PhysicalType.Int32;
                e.LogicalType = new LogicalType { Kind = LogicalTypeKind.Date };
                e.ConvertedType = ConvertedType.Date;
                return (type.Id == ArrowTypeId.Date32 ? ValueConversion.SignedInteger : ValueConversion.Date64ToDays, StatisticsOrder.Signed32, 1);
            case ArrowTypeId.Time32:
                // Parquet has no TIME(SECONDS): seconds are written as milliseconds.
                e.Type = PhysicalType.Int32;
                e.LogicalType = new LogicalType { Kind = LogicalTypeKind.Time, IsAdjustedToUtc = true, Unit = ParquetTimeUnit.Millis };
                e.ConvertedType = ConvertedType.TimeMillis;
                return (ValueConversion.SignedInteger, StatisticsOrder.Signed32, type.Unit == TimeUnit.Second ? 1000 : 1);
            case ArrowTypeId.Time64:
                e.Type = PhysicalType.Int64;
                e.LogicalType = new LogicalType { Kind = LogicalTypeKind.Time, IsAdjustedToUtc = true, Unit = ParquetUnit(type.Unit) };
                e.ConvertedType = type.Unit == TimeUnit.Microsecond ? ConvertedType.TimeMicros : null;
                return (ValueConversion.SignedInteger, StatisticsOrder.Signed64, 1);
            case ArrowTypeId.Timestamp:
            {
                bool utc = type.TimeZone is not null;
                ParquetTimeUnit unit = ParquetUnit(type.Unit);
                e.Type = PhysicalType.Int64;
                e.LogicalType = new LogicalType { Kind = LogicalTypeKind.Timestamp, IsAdjustedToUtc = utc, Unit = unit };
                // The converted types mean "adjusted to UTC", so only such timestamps carry one.
                e.ConvertedType = (utc, unit) switch
                {
                    (true, ParquetTimeUnit.Millis) => ConvertedType.TimestampMillis,
                    (true, ParquetTimeUnit.Micros) => ConvertedType.TimestampMicros,
                    _ => null,
                };
                return (ValueConversion.SignedInteger, StatisticsOrder.Signed64, type.Unit == TimeUnit.Second ? 1000 : 1);
            }
            case ArrowTypeId.Duration:
                // No Parquet logical type: the raw count is written and ARROW:schema restores the unit.
                e.Type = PhysicalType.Int64;
                return (ValueConversion.SignedInteger, StatisticsOrder.Signed64, 1);
            case ArrowTypeId.Binary or ArrowTypeId.LargeBinary or ArrowTypeId.BinaryView:
                e.Type = PhysicalType.ByteArray;
                return (ValueConversion.Bytes, StatisticsOrder.UnsignedBytes, 1);
            case ArrowTypeId.Utf8 or ArrowTypeId.LargeUtf8 or ArrowTypeId.Utf8View:
                e.Type = PhysicalType.ByteArray;
                e.LogicalType = new LogicalType { Kind = LogicalTypeKind.String };
                e.ConvertedType = ConvertedType.Utf8;
                return (ValueConversion.Bytes, StatisticsOrder.UnsignedBytes, 1);
            case ArrowTypeId.FixedSizeBinary:
                if (type.ByteWidth == 0)
                {
                    throw Unsupported(type, "FIXED_LEN_BYTE_ARRAY needs a length of at least 1");
                }
                e.Type = PhysicalType.FixedLenByteArray;
                e.TypeLength = type.ByteWidth;
                return (ValueConversion.RawSlot, StatisticsOrder.UnsignedBytes, 1);
            case ArrowTypeId.Extension:
                // Only arrow.uuid reaches here (Unwrap strips every other extension).
                e.Type = PhysicalType.FixedLenByteArray;
                e.TypeLength = 16;
                e.LogicalType = new LogicalType { Kind = LogicalTypeKind.Uuid };
                return (ValueConversion.RawSlot, StatisticsOrder.UnsignedBytes, 1);
            default:
                throw Unsupported(type, "Parquet has no type that holds it");
        }
    }

    private static (ValueConversion, StatisticsOrder, long) DescribeDecimal(ArrowType type, SchemaElement e)
    {
        int precision = type.Precision;
        e.LogicalType = new LogicalType { Kind = LogicalTypeKind.Decimal, Precision = precision, Scale = type.Scale };
        e.ConvertedType = ConvertedType.Decimal;
        e.Precision = precision;
        e.Scale = type.Scale;
        if (precision <= 9)
        {
            e.Type = PhysicalType.Int32;
            return (ValueConversion.SignedInteger, StatisticsOrder.Signed32, 1);
        }
        if (precision <= 18)
        {
            e.Type = PhysicalType.Int64;
            return (ValueConversion.SignedInteger, StatisticsOrder.Signed64, 1);
        }
        e.Type = PhysicalType.FixedLenByteArray;
        e.TypeLength = DecimalBytes(precision);
        return (ValueConversion.BigEndianDecimal, StatisticsOrder.SignedBigEndian, 1);
    }

    /// <summary>The fewest bytes whose two's complement holds every unscaled value of <paramref name="precision"/> digits.</summary>
    internal static int DecimalBytes(int precision)
    {
        BigInteger largest = BigInteger.Pow(10, precision) - 1;
        int bytes = 1;
        while (largest > (BigInteger.One << (8 * bytes - 1)) - 1)
        {
            bytes++;
        }
        return bytes;
    }

    private static ParquetTimeUnit ParquetUnit(TimeUnit unit) => unit switch
    {
        TimeUnit.Second or TimeUnit.Millisecond => ParquetTimeUnit.Millis,
        TimeUnit.Microsecond => ParquetTimeUnit.Micros,
        _ => ParquetTimeUnit.Nanos,
    };

    private NotSupportedException Unsupported(ArrowType type, string why) =>
        new($"field '{string.Join('.', _path)}' of type {type} cannot be written to Parquet: {why}");
}
