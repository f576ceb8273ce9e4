using ArrowCid.Parquet.Thrift;

namespace ArrowCid.Parquet.Metadata;

/// <summary>A horizontal slice of the table (parquet.thrift <c>RowGroup</c>).</summary>
public sealed class RowGroup : IThriftStruct
{
    /// <summary>1: one chunk per leaf column, in schema order.</summary>
    public IReadOnlyList<ColumnChunk> Columns { get; set; } = [];
    /// <summary>2: uncompressed bytes of all column data.</summary>
    public long TotalByteSize { get; set; }
    /// <summary>3: rows in the group.</summary>
    public long NumRows { get; set; }
    /// <summary>4: sort keys of the rows.</summary>
    public IReadOnlyList<SortingColumn>? SortingColumns { get; set; }
    /// <summary>5: file offset of the first page.</summary>
    public long? FileOffset { get; set; }
    /// <summary>6: bytes of all column data on disk.</summary>
    public long? TotalCompressedSize { get; set; }
    /// <summary>7: ordinal of the group in the file.</summary>
    public short? Ordinal { get; set; }

    /// <summary>Reads the struct; unknown fields are skipped.</summary>
    public static RowGroup Read(ref ThriftCompactReader reader)
    {
        var g = new RowGroup();
        int seen = 0;
        short saved = reader.BeginStruct();
        while (reader.NextField(out ThriftField f))
        {
            switch (f.Id)
            {
                case 1 when f.Type == ThriftType.List:
                    g.Columns = ThriftFields.ReadList(ref reader, ThriftType.Struct, ColumnChunk.Read, "RowGroup.columns");
                    seen |= 1;
                    break;
                case 2 when f.Type == ThriftType.I64: g.TotalByteSize = reader.ReadI64(); break;
                case 3 when f.Type == ThriftType.I64: g.NumRows = reader.ReadI64(); seen |= 2; break;
                case 4 when f.Type == ThriftType.List:
                    g.SortingColumns = ThriftFields.ReadList(ref reader, ThriftType.Struct, SortingColumn.Read, "RowGroup.sorting_columns");
                    break;
                case 5 when f.Type == ThriftType.I64: g.FileOffset = reader.ReadI64(); break;
                case 6 when f.Type == ThriftType.I64: g.TotalCompressedSize = reader.ReadI64(); break;
                case 7 when f.Type == ThriftType.I16: g.Ordinal = reader.ReadI16(); break;
                default: reader.Skip(f.Type); break;
            }
        }
        reader.EndStruct(saved);
        return seen == 3 ? g : throw ThriftFields.Missing("RowGroup.columns/num_rows");
    }

    /// <inheritdoc/>
    public void Write(ThriftCompactWriter writer)
    {
        writer.BeginStruct();
        writer.StructList(1, Columns);
        writer.I64(2, TotalByteSize);
        writer.I64(3, NumRows);
        writer.StructList(4, SortingColumns);
        writer.I64(5, FileOffset);
        writer.I64(6, TotalCompressedSize);
        if (Ordinal is short ordinal)
        {
            writer.WriteFieldHeader(7, ThriftType.I16);
            writer.WriteI16(ordinal);
        }
        writer.EndStruct();
    }
}
