using ArrowCid.Parquet.Thrift;

namespace ArrowCid.Parquet.Metadata;

/// <summary>Where a data page lies (parquet.thrift <c>PageLocation</c>, part of the offset index).</summary>
public sealed class PageLocation : IThriftStruct
{
    /// <summary>1: file offset of the page header.</summary>
    public long Offset { get; set; }
    /// <summary>2: header plus compressed page size.</summary>
    public int CompressedPageSize { get; set; }
    /// <summary>3: index in the row group of the page's first row.</summary>
    public long FirstRowIndex { get; set; }

    /// <summary>Reads the struct; unknown fields are skipped.</summary>
    public static PageLocation Read(ref ThriftCompactReader reader)
    {
        var p = new PageLocation();
        int seen = 0;
        short saved = reader.BeginStruct();
        while (reader.NextField(out ThriftField f))
        {
            switch (f.Id)
            {
                case 1 when f.Type == ThriftType.I64: p.Offset = reader.ReadI64(); seen |= 1; break;
                case 2 when f.Type == ThriftType.I32: p.CompressedPageSize = reader.ReadI32(); seen |= 2; break;
                case 3 when f.Type == ThriftType.I64: p.FirstRowIndex = reader.ReadI64(); seen |= 4; break;
                default: reader.Skip(f.Type); break;
            }
        }
        reader.EndStruct(saved);
        return seen == 7 ? p : throw ThriftFields.Missing("PageLocation.offset/compressed_page_size/first_row_index");
    }

    /// <inheritdoc/>
    public void Write(ThriftCompactWriter writer)
    {
        writer.BeginStruct();
        writer.I64(1, Offset);
        writer.I32(2, CompressedPageSize);
        writer.I64(3, FirstRowIndex);
        writer.EndStruct();
    }
}
