using System.Collections.Immutable;
using ArrowCid.Arrow.FlatBuffers;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Ipc;

/// <summary>
/// Where the dictionaries of a schema are used. Record batches and dictionary batches list their
/// arrays in depth-first pre-order; each dictionary-encoded field met on that walk takes the next
/// id from the matching list. A dictionary's own values are a separate walk (its nested ids).
/// </summary>
internal sealed class DictionaryLayout
{
    /// <summary>Ids of dictionary-encoded fields in pre-order of the record batch walk.</summary>
    public List<long> TopLevelIds { get; } = [];

    /// <summary>For each id: the value type and the ids met when walking the values.</summary>
    public Dictionary<long, (ArrowType ValueType, List<long> NestedIds)> ById { get; } = [];
}

/// <summary>Reads a Schema.fbs <c>Schema</c> table into a <see cref="Schema"/>, checking everything.</summary>
internal static class SchemaReader
{
    public static Schema Read(FlatTable table, out DictionaryLayout dictionaries)
    {
        if (table.GetInt16(SchemaSlots.Endianness, 0) != 0)
        {
            throw new ArrowFormatException("schema: big-endian data is not supported (Schema.endianness = Big); convert it to little-endian first");
        }

        dictionaries = new DictionaryLayout();
        var fieldsVector = table.GetVector(SchemaSlots.Fields, 4);
        var fields = new Field[fieldsVector.Length];
        for (int i = 0; i < fields.Length; i++)
        {
            fields[i] = ReadField(fieldsVector.GetTable(i), dictionaries.TopLevelIds, dictionaries, $"field {i}");
        }

        return new Schema(fields, ReadMetadata(table, SchemaSlots.CustomMetadata, "schema"));
    }

    private static Field ReadField(FlatTable table, List<long> idSink, DictionaryLayout layout, string path)
    {
        string name = table.GetString(FieldSlots.Name) ?? string.Empty;
        path = $"{path} '{name}'";
        bool nullable = table.GetBool(FieldSlots.Nullable, false);
        var metadata = ReadMetadata(table, FieldSlots.CustomMetadata, path);

        bool isDictionary = table.TryGetTable(FieldSlots.Dictionary, out FlatTable encoding);
        // A dictionary's values are walked separately, so their nested dictionary ids go to their own list.
        var childIds = isDictionary ? [] : idSink;
        var childrenVector = table.GetVector(FieldSlots.Children, 4);
        var children = new Field[childrenVector.Length];
        for (int i = 0; i < children.Length; i++)
        {
            children[i] = ReadField(childrenVector.GetTable(i), childIds, layout, $"{path} → child {i}");
        }

        ArrowType type;
        try
        {
            if (!table.TryGetUnion(FieldSlots.TypeType, out byte tag, out FlatTable typeTable))
            {
                throw new ArrowFormatException($"{path}: the field has no type") { Path = path };
            }

            type = ReadType((FbType)tag, typeTable, children, path);
            if (isDictionary)
            {
                long id = encoding.GetInt64(DictionaryEncodingSlots.Id, 0);
                ArrowType indexType = ArrowType.Int32;
                if (encoding.TryGetTable(DictionaryEncodingSlots.IndexType, out FlatTable indexTable))
                {
                    indexType = ReadInt(indexTable, path + " dictionary index");
                }

                if (layout.ById.TryGetValue(id, out var existing))
                {
                    if (!existing.ValueType.Equals(type))
                    {
                        throw new ArrowFormatException($"{path}: dictionary id {id} is shared by fields of different value types ({existing.ValueType} and {type})") { Path = path };
                    }
                }
                else
                {
                    layout.ById[id] = (type, childIds);
                }

                idSink.Add(id);
                type = ArrowType.Dictionary(indexType, type, encoding.GetBool(DictionaryEncodingSlots.IsOrdered, false));
            }
        }
        catch (ArgumentException e)
        {
            throw new ArrowFormatException($"{path}: {e.Message}", e) { Path = path };
        }

        (type, metadata) = ExtensionTypes.FromFieldMetadata(type, metadata, path);
        return new Field(name, type, nullable, metadata);
    }

    private static ArrowType ReadType(FbType tag, FlatTable t, Field[] children, string path)
    {
        void ExpectChildren(int n)
        {
            if (children.Length != n)
            {
                throw new ArrowFormatException($"{path}: type {tag} needs {n} child field(s), has {children.Length}") { Path = path };
            }
        }

        if (tag is not (FbType.Struct or FbType.Union or FbType.List or FbType.LargeList or FbType.ListView or FbType.LargeListView
            or FbType.FixedSizeList or FbType.Map or FbType.RunEndEncoded))
        {
            ExpectChildren(0);
        }

        switch (tag)
        {
            case FbType.Null: return ArrowType.Null;
            case FbType.Int: return ReadInt(t, path);
            case FbType.FloatingPoint:
                return t.GetInt16(0, 0) switch
                {
                    0 => ArrowType.Float16,
                    1 => ArrowType.Float32,
                    2 => ArrowType.Float64,
                    var p => throw new ArrowFormatException($"{path}: unknown floating point precision {p}") { Path = path },
                };
            case FbType.Binary: return ArrowType.Binary;
            case FbType.Utf8: return ArrowType.Utf8;
            case FbType.LargeBinary: return ArrowType.LargeBinary;
            case FbType.LargeUtf8: return ArrowType.LargeUtf8;
            case FbType.BinaryView: return ArrowType.BinaryView;
            case FbType.Utf8View: return ArrowType.Utf8View;
            case FbType.Bool: return ArrowType.Boolean;
            case FbType.Decimal:
                return ArrowType.Decimal(t.GetInt32(0, 0), t.GetInt32(1, 0), t.GetInt32(2, 128));
            case FbType.Date:
                return t.GetInt16(0, 1) switch
                {
                    0 => ArrowType.Date32,
                    1 => ArrowType.Date64,
                    var u => throw new ArrowFormatException($"{path}: unknown date unit {u}") { Path = path },
                };
            case FbType.Time:
            {
                var unit = ReadUnit(t.GetInt16(0, 1), path);
                int bitWidth = t.GetInt32(1, 32);
                int expected = unit is TimeUnit.Second or TimeUnit.Millisecond ? 32 : 64;
                if (bitWidth != expected)
                {
                    throw new ArrowFormatException($"{path}: time in {unit} must be {expected} bits wide, not {bitWidth}") { Path = path };
                }

                return ArrowType.Time(unit);
            }

            case FbType.Timestamp:
            {
                string? tz = t.GetString(1);
                return ArrowType.Timestamp(ReadUnit(t.GetInt16(0, 0), path), string.IsNullOrEmpty(tz) ? null : tz);
            }

            case FbType.Interval:
                return t.GetInt16(0, 0) switch
                {
                    0 => ArrowType.IntervalYearMonth,
                    1 => ArrowType.IntervalDayTime,
                    2 => ArrowType.IntervalMonthDayNano,
                    var u => throw new ArrowFormatException($"{path}: unknown interval unit {u}") { Path = path },
                };
            case FbType.Duration: return ArrowType.Duration(ReadUnit(t.GetInt16(0, 1), path));
            case FbType.FixedSizeBinary:
            {
                int width = t.GetInt32(0, 0);
                // Widths are counted in bits elsewhere (TypeLayout), so int.MaxValue / 8 is the ceiling.
                if (width is < 0 or > int.MaxValue / 8)
                {
                    throw new ArrowFormatException($"{path}: fixed size binary width {width} is outside 0..{int.MaxValue / 8}") { Path = path };
                }

                return ArrowType.FixedSizeBinary(width);
            }

            case FbType.List: ExpectChildren(1); return ArrowType.List(children[0]);
            case FbType.LargeList: ExpectChildren(1); return ArrowType.LargeList(children[0]);
            case FbType.ListView: ExpectChildren(1); return ArrowType.ListView(children[0]);
            case FbType.LargeListView: ExpectChildren(1); return ArrowType.LargeListView(children[0]);
            case FbType.FixedSizeList:
            {
                ExpectChildren(1);
                int size = t.GetInt32(0, 0);
                if (size < 0)
                {
                    throw new ArrowFormatException($"{path}: fixed size list size {size} is negative") { Path = path };
                }

                return ArrowType.FixedSizeList(children[0], size);
            }

            case FbType.Struct: return ArrowType.Struct(children);
            case FbType.Map:
                ExpectChildren(1);
                return ArrowType.Map(children[0], t.GetBool(0, false));
            case FbType.Union:
            {
                short mode = t.GetInt16(0, 0);
                if (mode is not (0 or 1))
                {
                    throw new ArrowFormatException($"{path}: unknown union mode {mode}") { Path = path };
                }

                IEnumerable<sbyte>? codes = null;
                if (t.TryGetVector(1, 4, out FlatVector ids))
                {
                    var list = new sbyte[ids.Length];
                    for (int i = 0; i < list.Length; i++)
                    {
                        int code = ids.Get<int>(i);
                        if (code is < 0 or > 127)
                        {
                            throw new ArrowFormatException($"{path}: union type id {code} is outside 0..127") { Path = path };
                        }

                        list[i] = (sbyte)code;
                    }

                    codes = list;
                }

                return ArrowType.Union(mode == 1, children, codes);
            }

            case FbType.RunEndEncoded:
                ExpectChildren(2);
                if (children[0].Type.Id is not (ArrowTypeId.Int16 or ArrowTypeId.Int32 or ArrowTypeId.Int64))
                {
                    throw new ArrowFormatException($"{path}: run ends must be int16, int32 or int64, not {children[0].Type}") { Path = path };
                }

                return ArrowType.RunEndEncoded(children[0], children[1]);
            default:
                throw new ArrowFormatException($"{path}: unknown type tag {(byte)tag}") { Path = path };
        }
    }

    private static ArrowType ReadInt(FlatTable t, string path)
    {
        int bitWidth = t.GetInt32(0, 0);
        if (bitWidth is not (8 or 16 or 32 or 64))
        {
            throw new ArrowFormatException($"{path}: integer bit width {bitWidth} is not 8, 16, 32 or 64") { Path = path };
        }

        return ArrowType.Integer(bitWidth, t.GetBool(1, false));
    }

    private static TimeUnit ReadUnit(short unit, string path) => unit switch
    {
        0 => TimeUnit.Second,
        1 => TimeUnit.Millisecond,
        2 => TimeUnit.Microsecond,
        3 => TimeUnit.Nanosecond,
        _ => throw new ArrowFormatException($"{path}: unknown time unit {unit}") { Path = path },
    };

    internal static ImmutableArray<KeyValuePair<string, string>> ReadMetadata(FlatTable table, int slot, string path)
    {
        var vector = table.GetVector(slot, 4);
        if (vector.Length == 0)
        {
            return [];
        }

        var result = ImmutableArray.CreateBuilder<KeyValuePair<string, string>>(vector.Length);
        for (int i = 0; i < vector.Length; i++)
        {
            var kv = vector.GetTable(i);
            result.Add(new(kv.GetString(KeyValueSlots.Key) ?? string.Empty, kv.GetString(KeyValueSlots.Value) ?? string.Empty));
        }

        _ = path;
        return result.MoveToImmutable();
    }
}
