using ArrowCid.Arrow.Types;
using ArrowCid.Parquet.Metadata;
using ArrowCid.Parquet.Schema;
using ArrowTimeUnit = ArrowCid.Arrow.Types.TimeUnit;
using ParquetTimeUnit = ArrowCid.Parquet.Metadata.TimeUnit;

namespace ArrowCid.Parquet.Reading;

/// <summary>
/// Maps a Parquet schema tree to Arrow fields ("natural" types, before any ARROW:schema): logical
/// types first, converted types for files that only carry those, the physical type otherwise.
/// LIST and MAP groups follow LogicalTypes.md including its backward-compatibility rules (2-level
/// lists, <c>array</c> and <c>*_tuple</c> element groups, MAP_KEY_VALUE); a repeated field outside
/// such a group is a non-null list of its values.
/// </summary>
internal sealed class ReadTreeBuilder(ParquetReadOptions options)
{
    public IReadOnlyList<ReadNode> Build(ParquetSchema schema) =>
        [.. schema.Root.Children.Select(child => Build(child, 0, 0))];

    private ReadNode Build(SchemaNode node, int slotRep, int slotDef)
    {
        if (node.Repetition == FieldRepetitionType.Repeated)
        {
            // A bare repeated field: a required list whose items are the field's values.
            ReadNode element = BuildValue(node, node.MaxRepetitionLevel, node.MaxDefinitionLevel, nullable: false);
            return List(node.Name, nullable: false, node.MaxDefinitionLevel - 1, slotRep, slotDef, node, element, isMap: false);
        }
        return BuildValue(node, slotRep, slotDef, node.Repetition == FieldRepetitionType.Optional);
    }

    private ReadNode BuildValue(SchemaNode node, int slotRep, int slotDef, bool nullable)
    {
        if (node.IsLeaf)
        {
            (ArrowType type, LeafDecoding decoding) = LeafType(node);
            return new LeafReadNode
            {
                Field = new Field(node.Name, type, nullable || type.Id == ArrowTypeId.Null),
                DefinitionLevel = node.MaxDefinitionLevel,
                SlotRepetition = slotRep,
                SlotDefinition = slotDef,
                FirstLeaf = node.LeafIndex,
                Column = node,
                Decoding = decoding,
                Options = options,
            };
        }
        SchemaElement e = node.Element;
        bool isList = e.LogicalType?.Kind == LogicalTypeKind.List || e.ConvertedType == ConvertedType.List;
        bool isMap = e.LogicalType?.Kind == LogicalTypeKind.Map || e.ConvertedType is ConvertedType.Map or ConvertedType.MapKeyValue;
        if ((isList || isMap) && node.Children.Count == 1 && node.Children[0].Repetition == FieldRepetitionType.Repeated)
        {
            SchemaNode repeated = node.Children[0];
            int itemRep = repeated.MaxRepetitionLevel;
            int itemDef = repeated.MaxDefinitionLevel;
            if (isMap && !repeated.IsLeaf && repeated.Children.Count == 2 && repeated.Children[0].Repetition == FieldRepetitionType.Required)
            {
                ReadNode entries = Struct(repeated, itemRep, itemDef, nullable: false, "key_value");
                return List(node.Name, nullable, node.MaxDefinitionLevel, slotRep, slotDef, repeated, entries, isMap: true);
            }
            ReadNode element = repeated.IsLeaf
                    || repeated.Children.Count > 1
                    || repeated.Name == "array"
                    || repeated.Name == node.Name + "_tuple"
                    || isMap
                ? BuildValue(repeated, itemRep, itemDef, nullable: false)
                : Build(repeated.Children[0], itemRep, itemDef);
            return List(node.Name, nullable, node.MaxDefinitionLevel, slotRep, slotDef, repeated, element, isMap: false);
        }
        return Struct(node, slotRep, slotDef, nullable, node.Name);
    }

    private StructReadNode Struct(SchemaNode node, int slotRep, int slotDef, bool nullable, string name)
    {
        ReadNode[] members = [.. node.Children.Select(child => Build(child, slotRep, slotDef))];
        return new StructReadNode
        {
            Field = new Field(name, ArrowType.Struct(members.Select(m => m.Field)), nullable),
            DefinitionLevel = node.MaxDefinitionLevel,
            SlotRepetition = slotRep,
            SlotDefinition = slotDef,
            FirstLeaf = members[0].FirstLeaf,
            Members = members,
        };
    }

    private static ListReadNode List(string name, bool nullable, int definition, int slotRep, int slotDef, SchemaNode repeated, ReadNode element, bool isMap)
    {
        ArrowType type = isMap
            ? ArrowType.Map(new Field("key_value", element.Field.Type, false))
            : ArrowType.List(element.Field);
        return new ListReadNode
        {
            Field = new Field(name, type, nullable),
            DefinitionLevel = definition,
            SlotRepetition = slotRep,
            SlotDefinition = slotDef,
            FirstLeaf = element.FirstLeaf,
            ItemRepetition = repeated.MaxRepetitionLevel,
            ItemDefinition = repeated.MaxDefinitionLevel,
            Element = element,
        };
    }

    private (ArrowType, LeafDecoding) LeafType(SchemaNode node)
    {
        SchemaElement e = node.Element;
        LogicalType? logical = e.LogicalType;
        ConvertedType? converted = e.ConvertedType;
        PhysicalType physical = e.Type!.Value;
        if (logical?.Kind == LogicalTypeKind.Unknown)
        {
            return (ArrowType.Null, LeafDecoding.Null);
        }
        if (logical?.Kind == LogicalTypeKind.Decimal || converted == ConvertedType.Decimal)
        {
            int precision = logical?.Kind == LogicalTypeKind.Decimal ? logical.Precision : e.Precision ?? 0;
            int scale = logical?.Kind == LogicalTypeKind.Decimal ? logical.Scale : e.Scale ?? 0;
            if (precision is < 1 or > 76 || scale > precision || scale < 0)
            {
                throw new ParquetFormatException($"column {node}: DECIMAL({precision}, {scale}) is out of range") { Column = node.ToString() };
            }
            ArrowType decimalType = ArrowType.Decimal(precision, scale, precision <= 38 ? 128 : 256);
            return physical switch
            {
                PhysicalType.Int32 or PhysicalType.Int64 => (decimalType, LeafDecoding.IntegerDecimal),
                PhysicalType.FixedLenByteArray or PhysicalType.ByteArray => (decimalType, LeafDecoding.BigEndianDecimal),
                _ => throw new ParquetFormatException($"column {node}: DECIMAL on {physical}") { Column = node.ToString() },
            };
        }
        switch (physical)
        {
            case PhysicalType.Boolean:
                return (ArrowType.Boolean, LeafDecoding.Boolean);
            case PhysicalType.Int32:
                return (Int32Type(logical, converted), LeafDecoding.Integer);
            case PhysicalType.Int64:
                return (Int64Type(logical, converted), LeafDecoding.Integer);
            case PhysicalType.Int96:
                return (ArrowType.Timestamp(options.Int96TimestampUnit), LeafDecoding.Int96Timestamp);
            case PhysicalType.Float:
                return (ArrowType.Float32, LeafDecoding.Raw);
            case PhysicalType.Double:
                return (ArrowType.Float64, LeafDecoding.Raw);
            case PhysicalType.ByteArray:
                bool text = logical?.Kind is LogicalTypeKind.String or LogicalTypeKind.Json or LogicalTypeKind.Enum
                    || converted is ConvertedType.Utf8 or ConvertedType.Json or ConvertedType.Enum;
                return (text ? ArrowType.Utf8 : ArrowType.Binary, LeafDecoding.Binary);
            default:
                int width = e.TypeLength!.Value;
                if (logical?.Kind == LogicalTypeKind.Uuid && width == 16)
                {
                    return (ArrowType.Extension("arrow.uuid", "", ArrowType.FixedSizeBinary(16)), LeafDecoding.Raw);
                }
                if (logical?.Kind == LogicalTypeKind.Float16 && width == 2)
                {
                    return (ArrowType.Float16, LeafDecoding.Raw);
                }
                return (ArrowType.FixedSizeBinary(width), LeafDecoding.Raw);
        }
    }

    private static ArrowType Int32Type(LogicalType? logical, ConvertedType? converted)
    {
        switch (logical?.Kind)
        {
            case LogicalTypeKind.Integer when logical.BitWidth is 8 or 16 or 32:
                return ArrowType.Integer(logical.BitWidth, logical.IsSigned);
            case LogicalTypeKind.Date:
                return ArrowType.Date32;
            case LogicalTypeKind.Time when logical.Unit == ParquetTimeUnit.Millis:
                return ArrowType.Time(ArrowTimeUnit.Millisecond);
        }
        return converted switch
        {
            ConvertedType.Int8 => ArrowType.Int8,
            ConvertedType.Int16 => ArrowType.Int16,
            ConvertedType.UInt8 => ArrowType.UInt8,
            ConvertedType.UInt16 => ArrowType.UInt16,
            ConvertedType.UInt32 => ArrowType.UInt32,
            ConvertedType.Date => ArrowType.Date32,
            ConvertedType.TimeMillis => ArrowType.Time(ArrowTimeUnit.Millisecond),
            _ => ArrowType.Int32,
        };
    }

    private static ArrowType Int64Type(LogicalType? logical, ConvertedType? converted)
    {
        switch (logical?.Kind)
        {
            case LogicalTypeKind.Integer when logical.BitWidth == 64:
                return logical.IsSigned ? ArrowType.Int64 : ArrowType.UInt64;
            case LogicalTypeKind.Timestamp:
                return ArrowType.Timestamp(ArrowUnit(logical.Unit), logical.IsAdjustedToUtc ? "UTC" : null);
            case LogicalTypeKind.Time when logical.Unit != ParquetTimeUnit.Millis:
                return ArrowType.Time(ArrowUnit(logical.Unit));
        }
        return converted switch
        {
            ConvertedType.UInt64 => ArrowType.UInt64,
            // The converted timestamp types are defined as UTC-adjusted instants.
            ConvertedType.TimestampMillis => ArrowType.Timestamp(ArrowTimeUnit.Millisecond, "UTC"),
            ConvertedType.TimestampMicros => ArrowType.Timestamp(ArrowTimeUnit.Microsecond, "UTC"),
            ConvertedType.TimeMicros => ArrowType.Time(ArrowTimeUnit.Microsecond),
            _ => ArrowType.Int64,
        };
    }

    private static ArrowTimeUnit ArrowUnit(ParquetTimeUnit unit) => unit switch
    {
        ParquetTimeUnit.Millis => ArrowTimeUnit.Millisecond,
        ParquetTimeUnit.Micros => ArrowTimeUnit.Microsecond,
        _ => ArrowTimeUnit.Nanosecond,
    };
}
