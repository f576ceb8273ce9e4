using ArrowCid.Parquet.Thrift;

namespace ArrowCid.Parquet.Metadata;

/// <summary>Header of a dictionary page (parquet.thrift <c>DictionaryPageHeader</c>).</summary>
public sealed class DictionaryPageHeader : IThriftStruct
{
    /// <summary>1: entries in the dictionary.</summary>
    public int NumValues { get; set; }
    /// <summary>2: encoding of the entries (PLAIN or the deprecated PLAIN_DICTIONARY).</summary>
    public Encoding Encoding { get; set; }
    /// <summary>3: whether the entries are sorted.</summary>
    public bool? IsSorted { get; set; }

    /// <summary>Reads the struct; unknown fields are skipped.</summary>
    public static DictionaryPageHeader Read(ref ThriftCompactReader reader)
    {
        var h = new DictionaryPageHeader();
        int seen = 0;
        short saved = reader.BeginStruct();
        while (reader.NextField(out ThriftField f))
        {
            switch (f.Id)
            {
                case 1 when f.Type == ThriftType.I32: h.NumValues = reader.ReadI32(); seen |= 1; break;
                case 2 when f.Type == ThriftType.I32: h.Encoding = (Encoding)reader.ReadI32(); seen |= 2; break;
                case 3 when f.Type == ThriftType.Bool: h.IsSorted = f.BoolValue; break;
                default: reader.Skip(f.Type); break;
            }
        }
        reader.EndStruct(saved);
        return seen == 3 ? h : throw ThriftFields.Missing("DictionaryPageHeader.num_values/encoding");
    }

    /// <inheritdoc/>
    public void Write(ThriftCompactWriter writer)
    {
        writer.BeginStruct();
        writer.I32(1, NumValues);
        writer.I32(2, (int)Encoding);
        writer.Bool(3, IsSorted);
        writer.EndStruct();
    }
}
