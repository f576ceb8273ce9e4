using ArrowCid.Parquet.Thrift;

namespace ArrowCid.Parquet.Metadata;

/// <summary>How many pages of a kind use an encoding (parquet.thrift <c>PageEncodingStats</c>).</summary>
public sealed class PageEncodingStats : IThriftStruct
{
    /// <summary>1: the page type.</summary>
    public PageType PageType { get; set; }
    /// <summary>2: the encoding.</summary>
    public Encoding Encoding { get; set; }
    /// <summary>3: number of such pages.</summary>
    public int Count { get; set; }

    /// <summary>Reads the struct; unknown fields are skipped.</summary>
    public static PageEncodingStats Read(ref ThriftCompactReader reader)
    {
        var s = new PageEncodingStats();
        int seen = 0;
        short saved = reader.BeginStruct();
        while (reader.NextField(out ThriftField f))
        {
            switch (f.Id)
            {
                case 1 when f.Type == ThriftType.I32: s.PageType = (PageType)reader.ReadI32(); seen |= 1; break;
                case 2 when f.Type == ThriftType.I32: s.Encoding = (Encoding)reader.ReadI32(); seen |= 2; break;
                case 3 when f.Type == ThriftType.I32: s.Count = reader.ReadI32(); seen |= 4; break;
                default: reader.Skip(f.Type); break;
            }
        }
        reader.EndStruct(saved);
        return seen == 7 ? s : throw ThriftFields.Missing("PageEncodingStats.page_type/encoding/count");
    }

    /// <inheritdoc/>
    public void Write(ThriftCompactWriter writer)
    {
        writer.BeginStruct();
        writer.I32(1, (int)PageType);
        writer.I32(2, (int)Encoding);
        writer.I32(3, Count);
        writer.EndStruct();
    }
}
