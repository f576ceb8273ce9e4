using ArrowCid.Parquet.Thrift;

namespace ArrowCid.Parquet.Metadata;

/// <summary>Header of a version 2 data page (parquet.thrift <c>DataPageHeaderV2</c>).</summary>
public sealed class DataPageHeaderV2 : IThriftStruct
{
    /// <summary>1: values in the page, nulls included.</summary>
    public int NumValues { get; set; }
    /// <summary>2: nulls in the page.</summary>
    public int NumNulls { get; set; }
    /// <summary>3: rows in the page.</summary>
    public int NumRows { get; set; }
    /// <summary>4: encoding of the values.</summary>
    public Encoding Encoding { get; set; }
    /// <summary>5: byte length of the (uncompressed) definition levels.</summary>
    public int DefinitionLevelsByteLength { get; set; }
    /// <summary>6: byte length of the (uncompressed) repetition levels.</summary>
    public int RepetitionLevelsByteLength { get; set; }
    /// <summary>7: whether the values section is compressed (default true).</summary>
    public bool IsCompressed { get; set; } = true;
    /// <summary>8: page statistics.</summary>
    public Statistics? Statistics { get; set; }

    /// <summary>Reads the struct; unknown fields are skipped.</summary>
    public static DataPageHeaderV2 Read(ref ThriftCompactReader reader)
    {
        var h = new DataPageHeaderV2();
        int seen = 0;
        short saved = reader.BeginStruct();
        while (reader.NextField(out ThriftField f))
        {
            switch (f.Id)
            {
                case 1 when f.Type == ThriftType.I32: h.NumValues = reader.ReadI32(); seen |= 1; break;
                case 2 when f.Type == ThriftType.I32: h.NumNulls = reader.ReadI32(); seen |= 2; break;
                case 3 when f.Type == ThriftType.I32: h.NumRows = reader.ReadI32(); seen |= 4; break;
                case 4 when f.Type == ThriftType.I32: h.Encoding = (Encoding)reader.ReadI32(); seen |= 8; break;
                case 5 when f.Type == ThriftType.I32: h.DefinitionLevelsByteLength = reader.ReadI32(); seen |= 16; break;
                case 6 when f.Type == ThriftType.I32: h.RepetitionLevelsByteLength = reader.ReadI32(); seen |= 32; break;
                case 7 when f.Type == ThriftType.Bool: h.IsCompressed = f.BoolValue; break;
                case 8 when f.Type == ThriftType.Struct: h.Statistics = Metadata.Statistics.Read(ref reader); break;
                default: reader.Skip(f.Type); break;
            }
        }
        reader.EndStruct(saved);
        return seen == 63 ? h : throw ThriftFields.Missing("DataPageHeaderV2 required fields 1-6");
    }

    /// <inheritdoc/>
    public void Write(ThriftCompactWriter writer)
    {
        writer.BeginStruct();
        writer.I32(1, NumValues);
        writer.I32(2, NumNulls);
        writer.I32(3, NumRows);
        writer.I32(4, (int)Encoding);
        writer.I32(5, DefinitionLevelsByteLength);
        writer.I32(6, RepetitionLevelsByteLength);
        writer.Bool(7, IsCompressed);
        writer.Struct(8, Statistics);
        writer.EndStruct();
    }
}
