using ArrowCid.Parquet.Thrift;

namespace ArrowCid.Parquet.Metadata;

/// <summary>One node of the flattened schema (parquet.thrift <c>SchemaElement</c>).</summary>
public sealed class SchemaElement : IThriftStruct
{
    /// <summary>1: physical type; set on leaves only.</summary>
    public PhysicalType? Type { get; set; }
    /// <summary>2: byte length of FIXED_LEN_BYTE_ARRAY values.</summary>
    public int? TypeLength { get; set; }
    /// <summary>3: repetition; unset on the root.</summary>
    public FieldRepetitionType? RepetitionType { get; set; }
    /// <summary>4: field name (required).</summary>
    public string Name { get; set; } = "";
    /// <summary>5: number of children; set on groups only.</summary>
    public int? NumChildren { get; set; }
    /// <summary>6: deprecated type annotation.</summary>
    public ConvertedType? ConvertedType { get; set; }
    /// <summary>7: decimal scale.</summary>
    public int? Scale { get; set; }
    /// <summary>8: decimal precision.</summary>
    public int? Precision { get; set; }
    /// <summary>9: field id from the original schema.</summary>
    public int? FieldId { get; set; }
    /// <summary>10: logical type annotation.</summary>
    public LogicalType? LogicalType { get; set; }

    /// <summary>Reads the struct; unknown fields are skipped.</summary>
    public static SchemaElement Read(ref ThriftCompactReader reader)
    {
        var e = new SchemaElement();
        bool hasName = false;
        short saved = reader.BeginStruct();
        while (reader.NextField(out ThriftField f))
        {
            switch (f.Id)
            {
                case 1 when f.Type == ThriftType.I32: e.Type = (PhysicalType)reader.ReadI32(); break;
                case 2 when f.Type == ThriftType.I32: e.TypeLength = reader.ReadI32(); break;
                case 3 when f.Type == ThriftType.I32: e.RepetitionType = (FieldRepetitionType)reader.ReadI32(); break;
                case 4 when f.Type == ThriftType.Binary: e.Name = reader.ReadString(); hasName = true; break;
                case 5 when f.Type == ThriftType.I32: e.NumChildren = reader.ReadI32(); break;
                case 6 when f.Type == ThriftType.I32: e.ConvertedType = (ConvertedType)reader.ReadI32(); break;
                case 7 when f.Type == ThriftType.I32: e.Scale = reader.ReadI32(); break;
                case 8 when f.Type == ThriftType.I32: e.Precision = reader.ReadI32(); break;
                case 9 when f.Type == ThriftType.I32: e.FieldId = reader.ReadI32(); break;
                case 10 when f.Type == ThriftType.Struct: e.LogicalType = Metadata.LogicalType.Read(ref reader); break;
                default: reader.Skip(f.Type); break;
            }
        }
        reader.EndStruct(saved);
        return hasName ? e : throw ThriftFields.Missing("SchemaElement.name");
    }

    /// <inheritdoc/>
    public void Write(ThriftCompactWriter writer)
    {
        writer.BeginStruct();
        writer.I32(1, (int?)Type);
        writer.I32(2, TypeLength);
        writer.I32(3, (int?)RepetitionType);
        writer.String(4, Name);
        writer.I32(5, NumChildren);
        writer.I32(6, (int?)ConvertedType);
        writer.I32(7, Scale);
        writer.I32(8, Precision);
        writer.I32(9, FieldId);
        writer.Struct(10, LogicalType);
        writer.EndStruct();
    }
}
