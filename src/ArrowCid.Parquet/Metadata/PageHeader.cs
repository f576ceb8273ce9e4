using ArrowCid.Parquet.Thrift;

namespace ArrowCid.Parquet.Metadata;

/// <summary>Header in front of every page (parquet.thrift <c>PageHeader</c>).</summary>
public sealed class PageHeader : IThriftStruct
{
    /// <summary>1: which of the page-specific headers is set.</summary>
    public PageType Type { get; set; }
    /// <summary>2: page size after decompression, header excluded.</summary>
    public int UncompressedPageSize { get; set; }
    /// <summary>3: page size on disk, header excluded.</summary>
    public int CompressedPageSize { get; set; }
    /// <summary>4: CRC-32 of the page bytes on disk.</summary>
    public int? Crc { get; set; }
    /// <summary>5: set for <see cref="PageType.DataPage"/>.</summary>
    public DataPageHeader? DataPageHeader { get; set; }
    /// <summary>7: set for <see cref="PageType.DictionaryPage"/>.</summary>
    public DictionaryPageHeader? DictionaryPageHeader { get; set; }
    /// <summary>8: set for <see cref="PageType.DataPageV2"/>.</summary>
    public DataPageHeaderV2? DataPageHeaderV2 { get; set; }

    /// <summary>Reads the struct; unknown fields (the empty index page header among them) are skipped.</summary>
    public static PageHeader Read(ref ThriftCompactReader reader)
    {
        var h = new PageHeader();
        int seen = 0;
        short saved = reader.BeginStruct();
        while (reader.NextField(out ThriftField f))
        {
            switch (f.Id)
            {
                case 1 when f.Type == ThriftType.I32: h.Type = (PageType)reader.ReadI32(); seen |= 1; break;
                case 2 when f.Type == ThriftType.I32: h.UncompressedPageSize = reader.ReadI32(); seen |= 2; break;
                case 3 when f.Type == ThriftType.I32: h.CompressedPageSize = reader.ReadI32(); seen |= 4; break;
                case 4 when f.Type == ThriftType.I32: h.Crc = reader.ReadI32(); break;
                case 5 when f.Type == ThriftType.Struct: h.DataPageHeader = Metadata.DataPageHeader.Read(ref reader); break;
                case 7 when f.Type == ThriftType.Struct: h.DictionaryPageHeader = Metadata.DictionaryPageHeader.Read(ref reader); break;
                case 8 when f.Type == ThriftType.Struct: h.DataPageHeaderV2 = Metadata.DataPageHeaderV2.Read(ref reader); break;
                default: reader.Skip(f.Type); break;
            }
        }
        reader.EndStruct(saved);
        return seen == 7 ? h : throw ThriftFields.Missing("PageHeader.type/uncompressed_page_size/compressed_page_size");
    }

    /// <inheritdoc/>
    public void Write(ThriftCompactWriter writer)
    {
        writer.BeginStruct();
        writer.I32(1, (int)Type);
        writer.I32(2, UncompressedPageSize);
        writer.I32(3, CompressedPageSize);
        writer.I32(4, Crc);
        writer.Struct(5, DataPageHeader);
        writer.Struct(7, DictionaryPageHeader);
        writer.Struct(8, DataPageHeaderV2);
        writer.EndStruct();
    }
}
