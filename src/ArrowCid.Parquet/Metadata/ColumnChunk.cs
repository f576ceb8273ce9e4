using ArrowCid.Parquet.Thrift;

namespace ArrowCid.Parquet.Metadata;

/// <summary>A column chunk of a row group (parquet.thrift <c>ColumnChunk</c>).</summary>
public sealed class ColumnChunk : IThriftStruct
{
    /// <summary>1: file holding the data when not this one.</summary>
    public string? FilePath { get; set; }
    /// <summary>2: deprecated offset of the column metadata.</summary>
    public long FileOffset { get; set; }
    /// <summary>3: the column metadata (required in practice).</summary>
    public ColumnMetaData? MetaData { get; set; }
    /// <summary>4: file offset of the offset index.</summary>
    public long? OffsetIndexOffset { get; set; }
    /// <summary>5: length of the offset index.</summary>
    public int? OffsetIndexLength { get; set; }
    /// <summary>6: file offset of the column index.</summary>
    public long? ColumnIndexOffset { get; set; }
    /// <summary>7: length of the column index.</summary>
    public int? ColumnIndexLength { get; set; }

    /// <summary>Reads the struct; unknown fields (encryption among them) are skipped.</summary>
    public static ColumnChunk Read(ref ThriftCompactReader reader)
    {
        var c = new ColumnChunk();
        short saved = reader.BeginStruct();
        while (reader.NextField(out ThriftField f))
        {
            switch (f.Id)
            {
                case 1 when f.Type == ThriftType.Binary: c.FilePath = reader.ReadString(); break;
                case 2 when f.Type == ThriftType.I64: c.FileOffset = reader.ReadI64(); break;
                case 3 when f.Type == ThriftType.Struct: c.MetaData = ColumnMetaData.Read(ref reader); break;
                case 4 when f.Type == ThriftType.I64: c.OffsetIndexOffset = reader.ReadI64(); break;
                case 5 when f.Type == ThriftType.I32: c.OffsetIndexLength = reader.ReadI32(); break;
                case 6 when f.Type == ThriftType.I64: c.ColumnIndexOffset = reader.ReadI64(); break;
                case 7 when f.Type == ThriftType.I32: c.ColumnIndexLength = reader.ReadI32(); break;
                default: reader.Skip(f.Type); break;
            }
        }
        reader.EndStruct(saved);
        return c;
    }

    /// <inheritdoc/>
    public void Write(ThriftCompactWriter writer)
    {
        writer.BeginStruct();
        writer.String(1, FilePath);
        writer.I64(2, FileOffset);
        writer.Struct(3, MetaData);
        writer.I64(4, OffsetIndexOffset);
        writer.I32(5, OffsetIndexLength);
        writer.I64(6, ColumnIndexOffset);
        writer.I32(7, ColumnIndexLength);
        writer.EndStruct();
    }
}
