using ArrowCid.Parquet.Thrift;

namespace ArrowCid.Parquet.Metadata;

/// <summary>Which member of the <c>LogicalType</c> union is set; numbers are the union field ids.</summary>
public enum LogicalTypeKind
{
    /// <summary>A member this build does not know (a newer writer); read, not interpreted.</summary>
    Unrecognized = 0,
    /// <summary>UTF-8 string.</summary>
    String = 1,
    /// <summary>Map.</summary>
    Map = 2,
    /// <summary>List.</summary>
    List = 3,
    /// <summary>Enum.</summary>
    Enum = 4,
    /// <summary>Decimal with scale and precision.</summary>
    Decimal = 5,
    /// <summary>Date.</summary>
    Date = 6,
    /// <summary>Time of day with unit.</summary>
    Time = 7,
    /// <summary>Timestamp with unit.</summary>
    Timestamp = 8,
    /// <summary>Integer with bit width and signedness.</summary>
    Integer = 10,
    /// <summary>Always null (UNKNOWN in parquet.thrift).</summary>
    Unknown = 11,
    /// <summary>JSON.</summary>
    Json = 12,
    /// <summary>BSON.</summary>
    Bson = 13,
    /// <summary>UUID in FIXED(16).</summary>
    Uuid = 14,
    /// <summary>Half float in FIXED(2).</summary>
    Float16 = 15,
}

/// <summary>
/// The <c>LogicalType</c> union: <see cref="Kind"/> says which member is set, and the parameters
/// of DECIMAL, TIME, TIMESTAMP and INTEGER are flattened onto this one class.
/// </summary>
public sealed class LogicalType : IThriftStruct
{
    /// <summary>The member that is set.</summary>
    public LogicalTypeKind Kind { get; set; }
    /// <summary>For <see cref="LogicalTypeKind.Unrecognized"/>: the union field id that was read.</summary>
    public short UnrecognizedFieldId { get; set; }
    /// <summary>DECIMAL scale.</summary>
    public int Scale { get; set; }
    /// <summary>DECIMAL precision.</summary>
    public int Precision { get; set; }
    /// <summary>TIME / TIMESTAMP: adjusted to UTC.</summary>
    public bool IsAdjustedToUtc { get; set; }
    /// <summary>TIME / TIMESTAMP unit.</summary>
    public TimeUnit Unit { get; set; }
    /// <summary>INTEGER bit width (8, 16, 32, 64).</summary>
    public sbyte BitWidth { get; set; }
    /// <summary>INTEGER signedness.</summary>
    public bool IsSigned { get; set; }

    /// <summary>Reads the union; a member this build does not know gives <see cref="LogicalTypeKind.Unrecognized"/>.</summary>
    public static LogicalType Read(ref ThriftCompactReader reader)
    {
        var t = new LogicalType();
        bool any = false;
        short saved = reader.BeginStruct();
        while (reader.NextField(out ThriftField f))
        {
            if (any)
            {
                throw new ParquetFormatException("thrift: LogicalType union has more than one member set");
            }
            any = true;
            if (f.Type != ThriftType.Struct)
            {
                throw new ParquetFormatException($"thrift: LogicalType member {f.Id} is not a struct");
            }
            switch (f.Id)
            {
                case 5: t.Kind = LogicalTypeKind.Decimal; ReadDecimal(ref reader, t); break;
                case 7: t.Kind = LogicalTypeKind.Time; ReadTemporal(ref reader, t, "TimeType"); break;
                case 8: t.Kind = LogicalTypeKind.Timestamp; ReadTemporal(ref reader, t, "TimestampType"); break;
                case 10: t.Kind = LogicalTypeKind.Integer; ReadInteger(ref reader, t); break;
                case 1 or 2 or 3 or 4 or 6 or 11 or 12 or 13 or 14 or 15:
                    t.Kind = (LogicalTypeKind)f.Id;
                    reader.Skip(ThriftType.Struct);
                    break;
                default:
                    t.Kind = LogicalTypeKind.Unrecognized;
                    t.UnrecognizedFieldId = f.Id;
                    reader.Skip(ThriftType.Struct);
                    break;
            }
        }
        reader.EndStruct(saved);
        return any ? t : throw new ParquetFormatException("thrift: LogicalType union has no member set");
    }

    /// <summary>Writes the union. An unrecognized member is written back as an empty struct.</summary>
    public void Write(ThriftCompactWriter writer)
    {
        writer.BeginStruct();
        switch (Kind)
        {
            case LogicalTypeKind.Decimal:
                writer.WriteFieldHeader(5, ThriftType.Struct);
                writer.BeginStruct();
                writer.I32(1, Scale);
                writer.I32(2, Precision);
                writer.EndStruct();
                break;
            case LogicalTypeKind.Time:
            case LogicalTypeKind.Timestamp:
                writer.WriteFieldHeader((short)Kind, ThriftType.Struct);
                writer.BeginStruct();
                writer.Bool(1, IsAdjustedToUtc);
                writer.WriteFieldHeader(2, ThriftType.Struct);
                writer.BeginStruct();
                writer.EmptyStruct((short)Unit);
                writer.EndStruct();
                writer.EndStruct();
                break;
            case LogicalTypeKind.Integer:
                writer.WriteFieldHeader(10, ThriftType.Struct);
                writer.BeginStruct();
                writer.WriteFieldHeader(1, ThriftType.Byte);
                writer.WriteByte(BitWidth);
                writer.Bool(2, IsSigned);
                writer.EndStruct();
                break;
            case LogicalTypeKind.Unrecognized:
                writer.EmptyStruct(UnrecognizedFieldId);
                break;
            default:
                writer.EmptyStruct((short)Kind);
                break;
        }
        writer.EndStruct();
    }

    private static void ReadDecimal(ref ThriftCompactReader reader, LogicalType t)
    {
        int seen = 0;
        short saved = reader.BeginStruct();
        while (reader.NextField(out ThriftField f))
        {
            switch (f.Id)
            {
                case 1 when f.Type == ThriftType.I32: t.Scale = reader.ReadI32(); seen |= 1; break;
                case 2 when f.Type == ThriftType.I32: t.Precision = reader.ReadI32(); seen |= 2; break;
                default: reader.Skip(f.Type); break;
            }
        }
        reader.EndStruct(saved);
        if (seen != 3)
        {
            throw ThriftFields.Missing("DecimalType.scale/precision");
        }
    }

    private static void ReadTemporal(ref ThriftCompactReader reader, LogicalType t, string name)
    {
        int seen = 0;
        short saved = reader.BeginStruct();
        while (reader.NextField(out ThriftField f))
        {
            switch (f.Id)
            {
                case 1 when f.Type == ThriftType.Bool: t.IsAdjustedToUtc = f.BoolValue; seen |= 1; break;
                case 2 when f.Type == ThriftType.Struct: t.Unit = ReadTimeUnit(ref reader); seen |= 2; break;
                default: reader.Skip(f.Type); break;
            }
        }
        reader.EndStruct(saved);
        if (seen != 3)
        {
            throw ThriftFields.Missing($"{name}.isAdjustedToUTC/unit");
        }
    }

    private static TimeUnit ReadTimeUnit(ref ThriftCompactReader reader)
    {
        TimeUnit? unit = null;
        short saved = reader.BeginStruct();
        while (reader.NextField(out ThriftField f))
        {
            if (f.Id is >= 1 and <= 3 && f.Type == ThriftType.Struct && unit is null)
            {
                unit = (TimeUnit)f.Id;
            }
            reader.Skip(f.Type);
        }
        reader.EndStruct(saved);
        return unit ?? throw new ParquetFormatException("thrift: TimeUnit union has no known member");
    }

    private static void ReadInteger(ref ThriftCompactReader reader, LogicalType t)
    {
        int seen = 0;
        short saved = reader.BeginStruct();
        while (reader.NextField(out ThriftField f))
        {
            switch (f.Id)
            {
                case 1 when f.Type == ThriftType.Byte: t.BitWidth = reader.ReadByte(); seen |= 1; break;
                case 2 when f.Type == ThriftType.Bool: t.IsSigned = f.BoolValue; seen |= 2; break;
                default: reader.Skip(f.Type); break;
            }
        }
        reader.EndStruct(saved);
        if (seen != 3)
        {
            throw ThriftFields.Missing("IntType.bitWidth/isSigned");
        }
    }
}
