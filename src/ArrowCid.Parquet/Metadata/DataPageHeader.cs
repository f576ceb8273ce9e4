using ArrowCid.Parquet.Thrift;

namespace ArrowCid.Parquet.Metadata;

/// <summary>Header of a version 1 data page (parquet.thrift <c>DataPageHeader</c>).</summary>
public sealed class DataPageHeader : IThriftStruct
{
    /// <summary>1: values in the page, nulls included.</summary>
    public int NumValues { get; set; }
    /// <summary>2: encoding of the values.</summary>
    public Encoding Encoding { get; set; }
    /// <summary>3: encoding of the definition levels.</summary>
    public Encoding DefinitionLevelEncoding { get; set; }
    /// <summary>4: encoding of the repetition levels.</summary>
    public Encoding RepetitionLevelEncoding { get; set; }
    /// <summary>5: page statistics.</summary>
    public Statistics? Statistics { get; set; }

    /// <summary>Reads the struct; unknown fields are skipped.</summary>
    public static DataPageHeader Read(ref ThriftCompactReader reader)
    {
        var h = new DataPageHeader();
        int seen = 0;
        short saved = reader.BeginStruct();
        while (reader.NextField(out ThriftField f))
        {
            switch (f.Id)
            {
                case 1 when f.Type == ThriftType.I32: h.NumValues = reader.ReadI32(); seen |= 1; break;
                case 2 when f.Type == ThriftType.I32: h.Encoding = (Encoding)reader.ReadI32(); seen |= 2; break;
                case 3 when f.Type == ThriftType.I32: h.DefinitionLevelEncoding = (Encoding)reader.ReadI32(); seen |= 4; break;
                case 4 when f.Type == ThriftType.I32: h.RepetitionLevelEncoding = (Encoding)reader.ReadI32(); seen |= 8; break;
                case 5 when f.Type == ThriftType.Struct: h.Statistics = Metadata.Statistics.Read(ref reader); break;
                default: reader.Skip(f.Type); break;
            }
        }
        reader.EndStruct(saved);
        return seen == 15 ? h : throw ThriftFields.Missing("DataPageHeader.num_values/encoding/definition_level_encoding/repetition_level_encoding");
    }

    /// <inheritdoc/>
    public void Write(ThriftCompactWriter writer)
    {
        writer.BeginStruct();
        writer.I32(1, NumValues);
        writer.I32(2, (int)Encoding);
        writer.I32(3, (int)DefinitionLevelEncoding);
        writer.I32(4, (int)RepetitionLevelEncoding);
        writer.Struct(5, Statistics);
        writer.EndStruct();
    }
}
